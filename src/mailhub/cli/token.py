"""``mailhub token``: API bearer tokens — create (printed once, last line), list, revoke."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mailhub.api.tokens import TokenError, create_token, list_tokens, revoke_token
from mailhub.settings import load_settings
from mailhub.store import Store, open_store

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

WORDS = {
    "created": {
        "zh": "已创建令牌 {id}（{name}）。它只显示这一次，请立即保存：",
        "en": "Token {id} ({name}) created. It is shown only this once; keep it now:",
    },
    "revoked": {"zh": "令牌 {id}（{name}）已吊销。", "en": "Token {id} ({name}) revoked."},
    "none": {
        "zh": "还没有令牌；用 `mailhub token create 名称` 创建。",
        "en": "No tokens yet; make one with `mailhub token create NAME`.",
    },
    "active": {"zh": "有效", "en": "active"},
    "revoked_word": {"zh": "已吊销", "en": "revoked"},
}


def _word(key: str, **values: object) -> str:
    return WORDS[key][load_settings().language()].format(**values)


def _store() -> Store:
    return open_store(load_settings().db_url())


def _fail(error: TokenError) -> typer.Exit:
    err.print(f"[red]{error.code}[/red]: {error.messages[load_settings().language()]}", highlight=False)
    return typer.Exit(1)


@app.command()
def create(name: Annotated[str, typer.Argument(help="What the token is for, e.g. crm-sync.")]) -> None:
    """Make a token for the REST API; the token itself is the last line printed (and never shown again)."""
    store = _store()
    try:
        token, plain = create_token(store, name)
    except TokenError as error:
        raise _fail(error) from None
    finally:
        store.close()
    err.print(_word("created", id=token.id, name=token.name), highlight=False)
    sys.stdout.write(plain + "\n")


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every token: id, name, prefix, created, last used, revoked (never the token)."""
    store = _store()
    try:
        tokens = list_tokens(store)
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps([t.to_dict() for t in tokens], ensure_ascii=False) + "\n")
        return
    if not tokens:
        console.print(_word("none"), highlight=False)
        return
    table = Table("id", "name", "prefix", "created", "last used", "state")
    for token in tokens:
        data = token.to_dict()
        state = _word("active") if token.active else _word("revoked_word")
        table.add_row(
            str(token.id), token.name, token.prefix + "…", data["created_at"], data["last_used_at"] or "—", state
        )
    console.print(table)


@app.command()
def revoke(token_id: Annotated[int, typer.Argument(help="The id shown by `mailhub token list`.")]) -> None:
    """Stop a token working (from its next request on)."""
    store = _store()
    try:
        token = revoke_token(store, token_id)
    except TokenError as error:
        raise _fail(error) from None
    finally:
        store.close()
    console.print(_word("revoked", id=token.id, name=token.name), highlight=False)
