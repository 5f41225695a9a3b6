"""``mailhub vault``: where the master key comes from, and rotating it (every secret re-sealed)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from mailhub.accounts.vault import MasterKey, VaultError, load_vault, parse_key, rotate
from mailhub.settings import load_settings
from mailhub.store import SecretRow, open_store

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)


def _fail(error: VaultError) -> typer.Exit:
    lang = load_settings().language()
    err.print(f"[red]{error.code}[/red]: {error.message(lang)}")
    return typer.Exit(1)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The key in use (its id and source, never the key) and how many secrets each key id seals."""
    settings = load_settings()
    env_key = settings.master_key.get_secret_value() if settings.master_key else None
    try:
        vault = load_vault(settings.data_dir(), env_key)
    except VaultError as error:
        raise _fail(error) from None
    store = open_store(settings.db_url())
    try:
        with store.session() as session:
            counts = dict(Counter(session.scalars(select(SecretRow.key_id))))
    finally:
        store.close()
    report = {
        "key_id": vault.current.key_id,
        "source": vault.current.source,
        "secrets_by_key_id": counts,
        "unreadable": sum(n for key_id, n in counts.items() if key_id not in vault.key_ids),
    }
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    console.print(f"key id {report['key_id']}  ({report['source']})")
    for key_id, count in counts.items():
        marker = "" if key_id in vault.key_ids else "  [red]not the current key[/red]"
        console.print(f"  {key_id}: {count} secret(s){marker}")


@app.command("rotate")
def rotate_key(
    new_key_stdin: Annotated[
        bool,
        typer.Option(
            "--new-key-stdin",
            help="Read the new key (base64, 32 bytes) from stdin; required when MAILHUB_MASTER_KEY is set. "
            "Make one with: head -c 32 /dev/urandom | base64",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-encrypt every stored secret under a new master key (a new key file, or the key from stdin)."""
    settings = load_settings()
    env_key = settings.master_key.get_secret_value() if settings.master_key else None
    store = None
    try:
        vault = load_vault(settings.data_dir(), env_key)
        new_key: MasterKey | None = None
        if new_key_stdin:
            new_key = parse_key(sys.stdin.readline(), "stdin")
        store = open_store(settings.db_url())
        done = rotate(store, settings.data_dir(), vault, new_key)
    except VaultError as error:
        raise _fail(error) from None
    finally:
        if store is not None:
            store.close()
    report = {
        "old_key_id": done.old_key_id,
        "new_key_id": done.new_key_id,
        "resealed": done.resealed,
        "key_file": str(done.key_file) if done.key_file else None,
    }
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    console.print(f"{done.resealed} secret(s) re-sealed: key {done.old_key_id} → {done.new_key_id}")
    if done.key_file is None:
        console.print("Now set MAILHUB_MASTER_KEY to the new key. / 请立即把 MAILHUB_MASTER_KEY 设为新密钥。")
