"""``mailhub sync``: pull mail in. ``--once`` brings every active account (or one) to the present and exits,
with a progress bar while a first sync runs; without it the workers keep following their INBOX (IDLE).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from mailhub.accounts.models import Account, AccountError
from mailhub.accounts.service import AccountService
from mailhub.accounts.status import AccountStatus
from mailhub.cli.common import EXIT_ERROR, EXIT_OK, EXIT_REFUSED, LangOption, chosen_language, say
from mailhub.sync.engine import AccountSync, LoginRefused, SyncReport
from mailhub.sync.folders import decode_mutf7
from mailhub.transport.errors import TransportFailure

app = typer.Typer(no_args_is_help=False, invoke_without_command=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

Lang = Literal["zh", "en"]

WORDS: dict[str, tuple[str, str]] = {
    "none": (
        "没有可同步的邮箱（已暂停或异常的邮箱不会同步）。",
        "No mailboxes to sync (paused or failing ones are skipped).",
    ),
    "account": ("邮箱", "Mailbox"),
    "folder": ("文件夹", "Folder"),
    "new": ("新邮件", "New"),
    "flags": ("标记变化", "Flag changes"),
    "expunged": ("已删除", "Removed"),
    "problems": ("无法解析", "Unreadable"),
    "refused": ("登录被拒绝（{code}），邮箱已设为异常", "login refused ({code}); the mailbox is now in error"),
    "failed": ("连接失败：{detail}", "connection failed: {detail}"),
    "following": ("正在同步并等待新邮件（Ctrl+C 退出）…", "Syncing and waiting for new mail (Ctrl+C to stop)…"),
    "arrived": ("{email}：{folder} 收到 {count} 封新邮件", "{email}: {count} new in {folder}"),
}


def _word(key: str, lang: Lang, **values: Any) -> str:
    return say(WORDS, key, lang, **values)


def _accounts(service: AccountService, ref: str | None) -> list[Account]:
    """The named account (whatever its status but paused), else every 正常 one."""
    if ref:
        account = service.get(ref)
        return [] if account.status == AccountStatus.PAUSED else [account]
    return [a for a in service.list() if a.status == AccountStatus.NORMAL]


@app.callback()
def sync(
    account: Annotated[str | None, typer.Option("--account", help="One mailbox (id or address)")] = None,
    once: Annotated[bool, typer.Option("--once", help="Sync to the present and exit")] = False,
    lang: LangOption = None,
) -> None:
    """Sync mail from bound mailboxes (INBOX and Sent) into the local store."""
    chosen = chosen_language(lang)
    try:
        service = AccountService.open()
    except AccountError as error:
        err.print(f"[red]{error.code}[/red]: {escape(error.message(chosen))}")
        raise typer.Exit(EXIT_REFUSED) from None
    try:
        try:
            accounts = _accounts(service, account)
        except AccountError as error:
            err.print(f"[red]{error.code}[/red]: {escape(error.message(chosen))}")
            raise typer.Exit(EXIT_REFUSED) from None
        if not accounts:
            console.print(_word("none", chosen))
            return
        if once:
            code = asyncio.run(_sync_once(service, accounts, chosen))
            raise typer.Exit(code)
        asyncio.run(_follow(service, accounts, chosen))
    finally:
        service.close()


async def _sync_once(service: AccountService, accounts: list[Account], lang: Lang) -> int:
    table = Table(_word("account", lang), _word("folder", lang), _word("new", lang), _word("flags", lang))
    table.add_column(_word("expunged", lang))
    table.add_column(_word("problems", lang))
    code = EXIT_OK
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        for account in accounts:
            tasks: dict[str, TaskID] = {}

            def advance(
                folder: str, done: int, total: int, email: str = account.email, tasks: dict[str, TaskID] = tasks
            ) -> None:
                if folder not in tasks:
                    tasks[folder] = progress.add_task(f"{email} {decode_mutf7(folder)}", total=total)
                progress.update(tasks[folder], completed=done, total=total)

            worker = AccountSync(service.store, service.vault, account.id)
            try:
                report: SyncReport = await worker.sync_once(progress=advance)
            except LoginRefused as refused:
                err.print(f"{escape(account.email)}: [red]{_word('refused', lang, code=refused.code)}[/red]")
                code = EXIT_ERROR
                continue
            except (TransportFailure, OSError, TimeoutError) as exc:
                err.print(f"{escape(account.email)}: [red]{escape(_word('failed', lang, detail=exc))}[/red]")
                code = EXIT_ERROR
                continue
            for folder in report.folders:
                table.add_row(
                    account.email,
                    decode_mutf7(folder.folder),
                    str(len(folder.new_uids)),
                    str(len(folder.flag_changes)),
                    str(len(folder.expunged)),
                    str(folder.skipped),
                )
    console.print(table)
    return code


async def _follow(service: AccountService, accounts: list[Account], lang: Lang) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emails = {account.id: account.email for account in accounts}

    def publish(kind: str, account_id: int | None, data: dict[str, Any]) -> None:
        if kind == "mail.new":
            folder = decode_mutf7(data["folder"])
            console.print(
                _word("arrived", lang, email=emails.get(account_id or 0, "?"), folder=folder, count=data["count"])
            )
        elif kind == "account.status":
            console.print(
                f"{emails.get(account_id or 0, '?')}: {data['from']} → {data['to']} ({data['diagnosis_code']})"
            )

    console.print(_word("following", lang))
    workers = [AccountSync(service.store, service.vault, a.id, publish=publish) for a in accounts]
    await asyncio.gather(*(worker.run() for worker in workers))
