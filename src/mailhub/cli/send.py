"""``mailhub send`` (one message or a CSV batch) and ``mailhub outbox list|show|retry|cancel|run``.

Sending means queueing: the message is persisted with its Message-ID, then ``mailhub outbox run`` (or the
supervisor) sends it. ``send`` runs the outbox once right away unless ``--queue-only`` or ``--at`` is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mailhub.cli.common import EXIT_REFUSED, LangOption, chosen_language, say
from mailhub.outbox import (
    Attachment,
    ComposeError,
    Draft,
    OutboxEntry,
    OutboxError,
    WorkerOptions,
    compose,
    enqueue,
    enqueue_many,
    run_outbox,
)
from mailhub.outbox import queue as outbox_queue
from mailhub.outbox.batch import compose_batch, new_batch_id, read_recipients

Lang = Literal["zh", "en"]
send_app = typer.Typer(invoke_without_command=True, pretty_exceptions_show_locals=False)
outbox_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)


WORDS: dict[str, tuple[str, str]] = {
    "queued": ("已加入发件箱：{n} 封", "Queued: {n} message(s)"),
    "scheduled": ("定时发送：{when}", "Scheduled for {when}"),
    "empty": ("发件箱是空的。", "The outbox is empty."),
    "need": (
        "需要 --from、--to/--cc/--bcc、--subject 以及正文。",
        "Needs --from, --to/--cc/--bcc, --subject and a body.",
    ),
    "run": ("已发送 {sent}，失败 {failed}，稍后重试 {retried}", "sent {sent}, failed {failed}, to retry {retried}"),
    "stopped": ("账户 {account} 已停止发送：{why}", "Account {account} stopped sending: {why}"),
    "bad_time": ("无法识别的时间：{value}", "Unrecognised time: {value}"),
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _word(key: str, lang: Lang, **values: Any) -> str:
    return say(WORDS, key, lang, **values)


@contextmanager
def _hub(lang: Lang) -> Iterator[Any]:
    """The account service (its store and vault); refusals become a message and exit code 1."""
    from mailhub.accounts import AccountError, AccountService, VaultError

    service = None
    try:
        service = AccountService.open()
        yield service
    except (OutboxError, ComposeError, AccountError, VaultError) as error:
        message = error.message(lang) if hasattr(error, "message") else error.messages[lang]
        err.print(f"[red]{error.code}[/red]: {escape(message)}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        if service is not None:
            service.close()


def parse_time(value: str, lang: Lang) -> datetime:
    """``--at``: ISO 8601 (``2026-11-25T09:00``, local time unless an offset is given), ``HH:MM`` (today or
    tomorrow), or ``+30m`` / ``+2h``."""
    text = value.strip()
    now = datetime.now().astimezone()
    try:
        if text.startswith("+") and text[-1] in "mh":
            amount = float(text[1:-1])
            return now + (timedelta(minutes=amount) if text[-1] == "m" else timedelta(hours=amount))
        if len(text) <= 5 and ":" in text:
            hour, minute = (int(part) for part in text.split(":"))
            when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return when if when > now else when + timedelta(days=1)
        when = datetime.fromisoformat(text)
    except ValueError:
        err.print(_word("bad_time", lang, value=value))
        raise typer.Exit(EXIT_REFUSED) from None
    return when if when.tzinfo else when.astimezone()


def _run_now(service: Any, lang: Lang, *, quiet: bool = False, options: WorkerOptions | None = None) -> None:
    for report in asyncio.run(run_outbox(service.store, service.vault, once=True, options=options)):
        if not quiet:
            console.print(_word("run", lang, sent=report.sent, failed=report.failed, retried=report.retried))
        if report.stopped and report.stopped not in ("paused",):
            why = (report.diagnosis or {}).get(lang, {}).get("title") or report.stopped
            err.print(_word("stopped", lang, account=report.account_id, why=why))


def _after_queueing(service: Any, entries: list[OutboxEntry], lang: Lang, as_json: bool, *, run: bool) -> None:
    """Say what was queued, send it now unless scheduled; ``--json`` prints the entries as they end up."""
    if not as_json:
        console.print(_word("queued", lang, n=len(entries)))
        for entry in entries[:20]:
            console.print(f"  #{entry.id} {escape(entry.message_id)} → {escape(', '.join(entry.recipients))}")
    if run:
        _run_now(service, lang, quiet=as_json)
    if as_json:
        final = [outbox_queue.get_entry(service.store, e.id).to_dict(lang) for e in entries]
        typer.echo(json.dumps(final, ensure_ascii=False, indent=2))


@send_app.callback()
def send(
    ctx: typer.Context,
    sender: Annotated[str | None, typer.Option("--from", help="The bound account (address or id)")] = None,
    to: Annotated[list[str] | None, typer.Option("--to", help="Recipient (repeatable)")] = None,
    cc: Annotated[list[str] | None, typer.Option("--cc")] = None,
    bcc: Annotated[list[str] | None, typer.Option("--bcc")] = None,
    subject: Annotated[str | None, typer.Option("--subject", "-s")] = None,
    body: Annotated[str | None, typer.Option("--body", help="Plain-text body")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file", exists=True, dir_okay=False)] = None,
    html: Annotated[Path | None, typer.Option("--html", exists=True, dir_okay=False, help="HTML body file")] = None,
    attach: Annotated[list[Path] | None, typer.Option("--attach", exists=True, dir_okay=False)] = None,
    at: Annotated[str | None, typer.Option("--at", help="Send later: ISO time, HH:MM, +30m, +2h")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Sender display name")] = None,
    queue_only: Annotated[bool, typer.Option("--queue-only", help="Only queue; `outbox run` sends")] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Send one message (persisted first, then sent)."""
    if ctx.invoked_subcommand is not None:
        return
    lang = chosen_language(lang)
    text = body if body is not None else (body_file.read_text("utf-8") if body_file else None)
    if not (sender and subject is not None and (to or cc or bcc) and (text is not None or html)):
        err.print(_word("need", lang))
        raise typer.Exit(EXIT_REFUSED)
    when = parse_time(at, lang) if at else None
    with _hub(lang) as service:
        from mailhub.outbox.enqueue import account_row

        with service.store.session() as session:
            account = account_row(session, sender)
            account_id, address = account.id, account.email
        draft = Draft(
            address,
            to=to or (),
            cc=cc or (),
            bcc=bcc or (),
            subject=subject,
            text=text,
            html=html.read_text("utf-8") if html else None,
            attachments=[Attachment.from_path(p) for p in attach or ()],
            from_name=name,
        )
        entry = enqueue(service.store, account_id, compose(draft), at=when)
        _after_queueing(service, [entry], lang, as_json, run=not (when or queue_only))
        if when and not as_json:
            console.print(_word("scheduled", lang, when=when.isoformat(timespec="minutes")))


@send_app.command("batch")
def send_batch(
    sender: Annotated[str, typer.Option("--from", help="The bound account (address or id)")],
    csv_file: Annotated[Path, typer.Option("--csv", exists=True, dir_okay=False, help="email,name,... rows")],
    subject: Annotated[str, typer.Option("--subject", "-s", help="Template: {name} fields from the CSV")],
    body_file: Annotated[Path, typer.Option("--body-file", exists=True, dir_okay=False, help="Template file")],
    html: Annotated[bool, typer.Option("--html", help="The body template is HTML")] = False,
    attach: Annotated[list[Path] | None, typer.Option("--attach", exists=True, dir_okay=False)] = None,
    at: Annotated[str | None, typer.Option("--at")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Sender display name")] = None,
    queue_only: Annotated[bool, typer.Option("--queue-only")] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """群发单显: one message per CSV row, each to that recipient alone."""
    lang = chosen_language(lang)
    when = parse_time(at, lang) if at else None
    with _hub(lang) as service:
        from mailhub.outbox.enqueue import account_row

        with service.store.session() as session:
            account = account_row(session, sender)
            account_id, address = account.id, account.email
        messages = compose_batch(
            address,
            read_recipients(csv_file),
            subject,
            body_file.read_text("utf-8"),
            html=html,
            from_name=name,
            attachments=[Attachment.from_path(p) for p in attach or ()],
        )
        entries = enqueue_many(service.store, account_id, messages, at=when, batch_id=new_batch_id())
        _after_queueing(service, entries, lang, as_json, run=not (when or queue_only))


@outbox_app.command("list")
def list_outbox(
    account: Annotated[str | None, typer.Option("--account", help="Only this account (address or id)")] = None,
    state: Annotated[str | None, typer.Option("--state", help="queued, sending, sent, failed, held, cancelled")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """The newest outbox messages and their states."""
    lang = chosen_language(lang)
    with _hub(lang) as service:
        account_id = None
        if account:
            from mailhub.outbox.enqueue import account_row

            with service.store.session() as session:
                account_id = account_row(session, account).id
        entries = outbox_queue.list_entries(service.store, account_id=account_id, state=state, limit=limit)
    if as_json:
        typer.echo(json.dumps([e.to_dict(lang) for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        console.print(_word("empty", lang))
        return
    table = Table("#", "state", "from", "to", "subject", "attempts", "sent_at")
    for e in entries:
        table.add_row(
            str(e.id),
            e.state.label(lang),
            escape(e.from_address),
            escape(", ".join(e.recipients)[:40]),
            escape(e.subject[:40]),
            str(e.attempts),
            e.sent_at.isoformat(timespec="seconds") if e.sent_at else "",
        )
    console.print(table)


@outbox_app.command("show")
def show(outbox_id: int, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """One message with every attempt and the server's replies."""
    lang = chosen_language(lang)
    with _hub(lang) as service:
        entry = outbox_queue.get_entry(service.store, outbox_id)
    data = entry.to_dict(lang)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key in ("id", "state_label", "from", "recipients", "subject", "message_id", "not_before", "sent_at",
                "sent_copy", "last_reply"):  # fmt: skip
        if data[key] not in (None, []):
            console.print(f"[bold]{key}[/bold]: {escape(str(data[key]))}")
    if data["diagnosis"]:
        console.print(f"[red]{escape(data['diagnosis']['title'])}[/red]: {escape(data['diagnosis']['explanation'])}")
        for step in data["diagnosis"]["steps"]:
            console.print(f"  • {escape(step['text'])}")
    for attempt in data["history"]:
        console.print(
            f"  {attempt['started_at']} {attempt['outcome']} {attempt['phase'] or ''} {escape(attempt['reply'] or '')}"
        )


@outbox_app.command("retry")
def retry(outbox_id: int, lang: LangOption = None) -> None:
    """Queue a failed or cancelled message again (same Message-ID)."""
    lang = chosen_language(lang)
    with _hub(lang) as service:
        entry = outbox_queue.retry(service.store, outbox_id)
    console.print(f"#{entry.id} {entry.state.label(lang)}")


@outbox_app.command("cancel")
def cancel(outbox_id: int, lang: LangOption = None) -> None:
    """Cancel a queued or held message."""
    lang = chosen_language(lang)
    with _hub(lang) as service:
        entry = outbox_queue.cancel(service.store, outbox_id)
    console.print(f"#{entry.id} {entry.state.label(lang)}")


@outbox_app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit")] = False,
    connections: Annotated[int, typer.Option("--connections", min=1, max=16, help="SMTP sessions per account")] = 4,
    lang: LangOption = None,
) -> None:
    """Run the outbox without the supervisor: send due mail for every account (Ctrl-C stops)."""
    lang = chosen_language(lang)
    options = WorkerOptions(connections=connections)
    with _hub(lang) as service:
        if once:
            _run_now(service, lang, options=options)
            return
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_outbox(service.store, service.vault, once=False, options=options))


def register(app: typer.Typer) -> None:
    """Add ``send`` and ``outbox`` to the ``mailhub`` command."""
    app.add_typer(send_app, name="send", help="Send mail from a bound account (queued first, then sent).")
    app.add_typer(outbox_app, name="outbox", help="The outbox: list, show, retry, cancel, run.")
