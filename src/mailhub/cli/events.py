"""``mailhub events tail`` and ``mailhub webhooks add|list|delete|attempts``.

Both read the store directly, so they work beside a running ``mailhub serve`` (another process) or without
one: ``tail --follow`` polls the event log for rows after the last one it printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from mailhub.accounts.service import AccountService
from mailhub.accounts.status import AccountStatus, reason_text
from mailhub.cli.common import LangOption, chosen_language, say
from mailhub.runtime.events import Event, EventLog, kind_matches
from mailhub.runtime.webhooks import WebhookError, Webhooks, shown_url
from mailhub.store import AccountRow, Store, open_store

events_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
webhooks_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

Lang = Literal["zh", "en"]
FOLLOW_POLL = 0.5

WORDS: dict[str, tuple[str, str]] = {
    "no_account": ("没有账户 {ref}。", "No account {ref}."),
    "no_events": ("还没有事件。", "No events yet."),
    "secret_once": (
        "签名密钥（只显示这一次，请妥善保存）：",
        "Signing secret (shown only this once; keep it safe):",
    ),
    "added": ("已添加 Webhook {id}：{url}", "Added webhook {id}: {url}"),
    "deleted": ("已删除 Webhook {id}", "Deleted webhook {id}"),
    "no_webhooks": ("还没有 Webhook。", "No webhooks yet."),
    "all_events": ("全部事件", "all events"),
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object per line for events)")]


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events", help="The event log: status changes, new mail, sending...")
    app.add_typer(webhooks_app, name="webhooks", help="Signed webhooks: add, list, delete endpoints.")


def _word(key: str, lang: Lang, **values: object) -> str:
    return say(WORDS, key, lang, **values)


@contextmanager
def _service() -> Iterator[AccountService]:
    service = AccountService.open()
    try:
        yield service
    finally:
        service.close()


def _account_id(store: Store, ref: str, lang: Lang) -> int:
    """An account id from an id (even of a deleted account: the log keeps its events) or an address."""
    text = ref.strip()
    if text.isdigit():
        return int(text)
    with store.session() as session:
        found = session.scalar(select(AccountRow.id).where(AccountRow.email == text.lower()))
    if found is None:
        err.print(_word("no_account", lang, ref=escape(text)))
        raise typer.Exit(1)
    return found


def _line(event: Event, lang: Lang) -> str:
    """One event for a person: time, kind, account, and what happened."""
    at = event.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    who = event.data.get("email") or (f"#{event.account_id}" if event.account_id is not None else "-")
    if event.kind == "account.status":
        before = event.data.get("from")
        after = event.data.get("to") or ""
        words = (
            f"{_status(before, lang)} → {_status(after, lang)} ({reason_text(event.data.get('reason') or '', lang)})"
        )
        code = event.data.get("diagnosis_code")
        detail = f"{words} [{code}]" if code else words
    else:
        detail = json.dumps({k: v for k, v in event.data.items() if k != "email"}, ensure_ascii=False)
    return f"{at}  {event.id:>6}  {event.kind:<16} {who}  {detail}"


def _status(value: str | None, lang: Lang) -> str:
    if not value:
        return "-"
    try:
        return AccountStatus(value).label(lang)
    except ValueError:
        return value


def _show(event: Event, as_json: bool, lang: Lang) -> None:
    if as_json:
        print(json.dumps(event.to_dict(), ensure_ascii=False), flush=True)
    else:
        console.print(escape(_line(event, lang)), highlight=False, soft_wrap=True)


@events_app.command("tail")
def tail(
    account: Annotated[str | None, typer.Option("--account", "-a", help="Only this account (id or address)")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl+C")] = False,
    count: Annotated[int, typer.Option("--count", "-n", help="How many recent events to print first")] = 20,
    kinds: Annotated[
        list[str] | None, typer.Option("--kind", "-k", help="Only these kinds (account.*, mail.new)")
    ] = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Print the newest events (oldest first); with --follow, keep printing as they happen."""
    chosen = chosen_language(lang)
    patterns = tuple(kinds or ())
    store = open_store()  # reading the log needs no vault
    try:
        log = EventLog(store)
        account_id = _account_id(store, account, chosen) if account else None
        recent = log.latest(count, account_id=account_id) if count > 0 else []
        shown = [e for e in recent if kind_matches(patterns, e.kind)]
        for event in shown:
            _show(event, as_json, chosen)
        if not shown and not follow and not as_json:
            console.print(_word("no_events", chosen))
        if not follow:
            return
        cursor = recent[-1].id if recent else log.last_id()
        try:
            while True:
                batch = log.since(cursor, account_id=account_id)
                for event in batch:
                    if kind_matches(patterns, event.kind):
                        _show(event, as_json, chosen)
                    cursor = event.id
                if not batch:
                    time.sleep(FOLLOW_POLL)
        except KeyboardInterrupt:
            return
    finally:
        store.close()


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST events (http or https)")],
    events: Annotated[
        list[str] | None, typer.Option("--events", "-e", help="Kinds or patterns, repeated or comma-separated")
    ] = None,
    secret_stdin: Annotated[bool, typer.Option("--secret-stdin", help="Read the signing secret from stdin")] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Add an endpoint; events from now on are POSTed to it, signed (X-Mailhub-Signature: sha256=...)."""
    chosen = chosen_language(lang)
    wanted = tuple(part.strip() for item in events or () for part in item.split(",") if part.strip())
    secret = typer.get_text_stream("stdin").readline().strip() if secret_stdin else None
    with _service() as service:
        try:
            endpoint, key = Webhooks(service.store, service.vault).add(url, wanted, secret or None)
        except WebhookError as error:
            err.print(escape(error.message(chosen)))
            raise typer.Exit(1) from None
    if as_json:
        print(json.dumps({**endpoint.to_dict(), "secret": key.reveal()}, ensure_ascii=False))
        return
    console.print(escape(_word("added", chosen, id=endpoint.id, url=shown_url(endpoint.url))))
    if not secret:
        console.print(_word("secret_once", chosen))
        print(key.reveal(), flush=True)


@webhooks_app.command("list")
def list_(as_json: JsonOption = False, lang: LangOption = None) -> None:
    """Every endpoint with its event filter and how far its queue has got."""
    chosen = chosen_language(lang)
    with _service() as service:
        endpoints = Webhooks(service.store, service.vault).list()
    if as_json:
        print(json.dumps([e.to_dict() for e in endpoints], ensure_ascii=False))
        return
    if not endpoints:
        console.print(_word("no_webhooks", chosen))
        return
    table = Table("id", "url", "events", "active", "last event")
    for endpoint in endpoints:
        kinds = ", ".join(endpoint.events) or _word("all_events", chosen)
        table.add_row(
            str(endpoint.id),
            escape(shown_url(endpoint.url)),
            escape(kinds),
            str(endpoint.active),
            str(endpoint.last_event_id),
        )
    console.print(table)


@webhooks_app.command("delete")
def delete(endpoint_id: int, lang: LangOption = None) -> None:
    """Remove an endpoint (its queue stops; its delivery records go with it)."""
    chosen = chosen_language(lang)
    with _service() as service:
        try:
            Webhooks(service.store, service.vault).delete(endpoint_id)
        except WebhookError as error:
            err.print(escape(error.message(chosen)))
            raise typer.Exit(1) from None
    console.print(_word("deleted", chosen, id=endpoint_id))


@webhooks_app.command("attempts")
def attempts(
    endpoint_id: Annotated[int | None, typer.Argument(help="Only this endpoint")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Recorded delivery attempts: HTTP status or error, time taken, and whether it was retried."""
    with _service() as service:
        found = Webhooks(service.store, service.vault).attempts(endpoint_id, limit=limit)
    if as_json:
        rows = [
            {**{k: getattr(a, k) for k in a.__slots__ if k != "at"}, "at": a.at.isoformat()}  # type: ignore[attr-defined]
            for a in found
        ]
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("endpoint", "event", "attempt", "at", "status", "ms", "outcome", "error")
    for a in found:
        at = a.at.astimezone().strftime("%H:%M:%S")
        status = str(a.status_code or "-")
        table.add_row(
            str(a.endpoint_id), str(a.event_id), str(a.attempt), at, status, str(a.elapsed_ms), a.outcome, a.error or ""
        )
    console.print(table)
