"""The ``mailhub`` command: thin Typer edges over the core packages."""

from __future__ import annotations

import typer

from mailhub.cli import accounts, demo, detect, events, messages, sandbox, send, serve, sync, token, vault

app = typer.Typer(help="mailhub: bind enterprise mailboxes over IMAP/SMTP.", no_args_is_help=True)
app.add_typer(sandbox.app, name="sandbox", help="The local enterprise mail service (IMAP + SMTP over TLS).")
app.add_typer(accounts.app, name="accounts", help="Bound mailboxes: add, list, show, verify, pause, ...")
app.add_typer(vault.app, name="vault", help="The encrypted secret vault.")
app.add_typer(token.app, name="token", help="REST API bearer tokens: create, list, revoke.")
app.add_typer(sync.app, name="sync", help="Sync mail from bound mailboxes (--once: to the present, then exit).")
app.add_typer(messages.app, name="messages", help="The unified inbox: list, show, attachment, mark, move, delete.")
detect.register(app)
demo.register(app)
send.register(app)
serve.register(app)
events.register(app)


def main() -> None:
    app()
