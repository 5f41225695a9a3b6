"""The ``mailhub`` command: thin Typer edges over the core packages."""

from __future__ import annotations

import typer

from mailhub.cli import accounts, demo, detect, sandbox, vault

app = typer.Typer(help="mailhub: bind enterprise mailboxes over IMAP/SMTP.", no_args_is_help=True)
app.add_typer(sandbox.app, name="sandbox", help="The local enterprise mail service (IMAP + SMTP over TLS).")
app.add_typer(accounts.app, name="accounts", help="Bound mailboxes: add, list, show, verify, pause, ...")
app.add_typer(vault.app, name="vault", help="The encrypted secret vault.")
detect.register(app)
demo.register(app)


def main() -> None:
    app()
