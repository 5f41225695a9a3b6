"""``mailhub messages``: the unified inbox on the command line — list, show, attachments, and the changes a
person makes (read/unread, move, delete), which go to the server first.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mailhub.accounts.service import AccountService
from mailhub.cli.common import EXIT_ERROR, EXIT_REFUSED, LangOption, account_service, chosen_language, say
from mailhub.sync.bodies import attachment_bytes, message_body, read_message
from mailhub.sync.imap_session import ImapCommandFailed
from mailhub.sync.mail_queries import get_message, list_messages
from mailhub.sync.write_back import MessageNotFound, delete_message, mark, move
from mailhub.transport.errors import TransportFailure

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

Lang = Literal["zh", "en"]

WORDS: dict[str, tuple[str, str]] = {
    "date": ("日期", "Date"),
    "from": ("发件人", "From"),
    "subject": ("主题", "Subject"),
    "account": ("邮箱", "Mailbox"),
    "folder": ("文件夹", "Folder"),
    "to": ("收件人", "To"),
    "attachments": ("附件", "Attachments"),
    "empty": ("没有邮件。", "No messages."),
    "marked_read": ("已标为已读", "marked as read"),
    "marked_unread": ("已标为未读", "marked as unread"),
    "moved": ("已移动到 {folder}", "moved to {folder}"),
    "deleted": ("已删除", "deleted"),
    "saved": ("已保存到 {path}", "saved to {path}"),
    "server_refused": ("服务器拒绝：{reply}", "the server refused: {reply}"),
    "connection": ("无法连接服务器：{detail}", "cannot reach the server: {detail}"),
    "no_attachment": ("没有第 {n} 个附件。", "There is no attachment {n}."),
    "choose_flag": ("请指定 --read 或 --unread。", "Give --read or --unread."),
    "problems": ("解析问题", "Problems"),
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
MessageId = Annotated[int, typer.Argument(metavar="ID", help="The message id from `messages list`")]


def _word(key: str, lang: Lang, **values: Any) -> str:
    return say(WORDS, key, lang, **values)


@contextmanager
def _service(lang: Lang) -> Iterator[AccountService]:
    """``account_service``, plus what reading and changing mail on the server can raise: each becomes a
    message and an exit code, never a traceback."""
    with account_service(lang) as service:
        try:
            yield service
        except MessageNotFound as error:
            err.print(f"[red]message_not_found[/red]: {escape(error.message(lang))}")
            raise typer.Exit(EXIT_REFUSED) from None
        except ImapCommandFailed as error:
            err.print(f"[red]server_refused[/red]: {escape(_word('server_refused', lang, reply=error.reply))}")
            raise typer.Exit(EXIT_ERROR) from None
        except (TransportFailure, OSError, TimeoutError) as error:
            err.print(f"[red]connection[/red]: {escape(_word('connection', lang, detail=error))}")
            raise typer.Exit(EXIT_ERROR) from None


@app.command("list")
def list_command(
    account: Annotated[str | None, typer.Option("--account", help="One mailbox (id or address)")] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="INBOX, Sent, 已发送, ...")] = None,
    search: Annotated[str | None, typer.Option("--search", help="Text in subject, sender or preview")] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread messages")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many (newest first)")] = 50,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """The unified message list, newest first."""
    chosen = chosen_language(lang)
    with _service(chosen) as service:
        items = list_messages(service.store, account=account, folder=folder, search=search, unread=unread, limit=limit)
    if as_json:
        typer.echo(json.dumps([item.to_dict() for item in items], ensure_ascii=False, indent=2))
        return
    if not items:
        console.print(_word("empty", chosen))
        return
    table = Table("ID", _word("date", chosen), _word("from", chosen), _word("subject", chosen))
    table.add_column(_word("account", chosen))
    for item in items:
        when = item.date.strftime("%Y-%m-%d %H:%M") if item.date else ""
        subject = ("" if item.seen else "● ") + item.subject + (" 📎" if item.has_attachments else "")
        table.add_row(str(item.id), when, item.from_name or item.from_email, subject, item.account)
    console.print(table)


@app.command()
def show(message_id: MessageId, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """One message: headers, text, attachments (the body is fetched once and kept)."""
    chosen = chosen_language(lang)
    with _service(chosen) as service:
        item = get_message(service.store, message_id)
        if item is None:
            raise MessageNotFound(message_id)
        view = read_message(asyncio.run(message_body(service.store, service.vault, message_id)))
    if as_json:
        data = item.to_dict() | {
            "text": view.text,
            "html": view.html,
            "attachments": [_attachment(a) for a in view.attachments],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{escape(item.subject)}[/bold]")
    console.print(f"{_word('from', chosen)}: {escape(item.from_name)} <{escape(item.from_email)}>")
    console.print(f"{_word('to', chosen)}: {escape(', '.join(email for _name, email in item.to))}")
    console.print(f"{_word('date', chosen)}: {item.date or ''}   {_word('folder', chosen)}: {escape(item.folder)}")
    console.print()
    console.print(escape(view.text))
    if view.attachments:
        console.print()
        console.print(f"[bold]{_word('attachments', chosen)}[/bold]")
        for attachment in view.attachments:
            console.print(
                f"  {attachment.number}. {escape(attachment.filename)} ({attachment.content_type}, {attachment.size} B)"
            )


def _attachment(attachment: Any) -> dict[str, Any]:
    return {
        "number": attachment.number,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }


@app.command()
def attachment(
    message_id: MessageId,
    number: Annotated[int, typer.Argument(metavar="N", help="The attachment's number from `messages show`")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to save (default: its name)")] = None,
    lang: LangOption = None,
) -> None:
    """Save one attachment to a file."""
    chosen = chosen_language(lang)
    with _service(chosen) as service:
        raw = asyncio.run(message_body(service.store, service.vault, message_id))
    try:
        filename, content = attachment_bytes(raw, number)
    except LookupError:
        err.print(f"[red]attachment_not_found[/red]: {_word('no_attachment', chosen, n=number)}")
        raise typer.Exit(EXIT_REFUSED) from None
    target = output or Path(Path(filename).name or f"attachment-{number}")
    target.write_bytes(content)
    console.print(_word("saved", chosen, path=escape(str(target))))


@app.command("mark")
def mark_command(
    message_id: MessageId,
    read: Annotated[bool | None, typer.Option("--read/--unread", help="Mark as read or unread")] = None,
    lang: LangOption = None,
) -> None:
    """Mark read or unread, on the server and here."""
    chosen = chosen_language(lang)
    if read is None:
        err.print(_word("choose_flag", chosen))
        raise typer.Exit(EXIT_REFUSED)
    with _service(chosen) as service:
        asyncio.run(mark(service.store, service.vault, message_id, read=read))
    console.print(f"{message_id}: {_word('marked_read' if read else 'marked_unread', chosen)}")


@app.command("move")
def move_command(
    message_id: MessageId,
    folder: Annotated[str, typer.Argument(metavar="FOLDER")],
    lang: LangOption = None,
) -> None:
    """Move to another folder on the server."""
    chosen = chosen_language(lang)
    with _service(chosen) as service:
        asyncio.run(move(service.store, service.vault, message_id, folder))
    console.print(f"{message_id}: {_word('moved', chosen, folder=escape(folder))}")


@app.command("delete")
def delete_command(message_id: MessageId, lang: LangOption = None) -> None:
    """Delete on the server and here."""
    chosen = chosen_language(lang)
    with _service(chosen) as service:
        asyncio.run(delete_message(service.store, service.vault, message_id))
    console.print(f"{message_id}: {_word('deleted', chosen)}")
