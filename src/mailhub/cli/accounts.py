"""``mailhub accounts``: bind, list, show, verify, pause, resume, edit, delete and import mailboxes.

A thin edge over ``AccountService``: it reads the password (hidden prompt or stdin), calls the service,
and shows the outcome (a Rich panel with the diagnosis, or ``--json``). Exit codes: 0 正常, 2 异常,
1 refused (unknown account, bad input, vault error).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mailhub.accounts.importer import read_rows
from mailhub.accounts.models import Account, BindResult, ServerOverrides
from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import Secret
from mailhub.cli.common import EXIT_ERROR, EXIT_OK, EXIT_REFUSED, LangOption, account_service, chosen_language, say

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

Lang = Literal["zh", "en"]

WORDS: dict[str, tuple[str, str]] = {
    "password": ("密码（输入时不显示）", "Password (hidden)"),
    "saved": ("已保存", "saved"),
    "not_saved": (
        "未保存（加 --save-unverified 可保存为异常）",
        "not saved (add --save-unverified to keep it as error)",
    ),
    "cause": ("原因", "Cause"),
    "likely": ("可能的原因", "Likely causes"),
    "check": ("如何确认", "how to check"),
    "fix": ("解决步骤", "How to fix"),
    "reply": ("服务器回复", "Server reply"),
    "hint": ("提示", "Hint"),
    "no_accounts": ("还没有绑定任何邮箱。", "No mailboxes bound yet."),
    "confirm_delete": ("删除 {email} 及其保存的密码和记录？", "Delete {email} with its stored password and records?"),
    "deleted": ("已删除 {email}", "Deleted {email}"),
    "history": ("状态记录", "Status history"),
    "importing": ("导入中", "Importing"),
    "summary": ("导入结果", "Import summary"),
    "edit_kept": ("新设置未通过验证，原设置保持不变。", "The new settings did not verify; the old ones are kept."),
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (status, diagnosis.code...)")]
Ref = Annotated[str, typer.Argument(metavar="ID_OR_EMAIL")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")]


def _word(key: str, lang: Lang, **values: str) -> str:
    return say(WORDS, key, lang, **values)


def _read_password(from_stdin: bool, lang: Lang) -> Secret:
    if from_stdin:
        return Secret(sys.stdin.readline().rstrip("\r\n"))
    return Secret(typer.prompt(_word("password", lang), hide_input=True))


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _status_text(status: AccountStatus, lang: Lang) -> Text:
    style = {"normal": "green", "error": "red", "paused": "yellow", "verifying": "cyan"}[status.value]
    return Text(status.label(lang), style=style)


def _localized(value: Any, lang: Lang) -> str:
    """A diagnosis field: plain text, or a {zh, en} dict from a diagnosis that kept both languages."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or "")
    return "" if value is None else str(value)


def diagnosis_panel(diagnosis: dict[str, Any], lang: Lang) -> Panel:
    """Cause, likely causes (with how to check) and numbered fix steps with links, in ``lang``."""
    parts: list[Any] = [Text(_localized(diagnosis.get("explanation"), lang))]
    causes = diagnosis.get("likely_causes") or []
    if causes:
        parts.append(Text(f"\n{_word('likely', lang)}", style="bold"))
        grid = _grid()
        for cause in causes:
            check = _localized(cause.get("how_to_check"), lang)
            text = Text(_localized(cause.get("text"), lang))
            if check:
                text.append(f"\n{_word('check', lang)}: {check}", style="dim")
            grid.add_row("•", text)
        parts.append(grid)
    steps = diagnosis.get("steps") or []
    if steps:
        parts.append(Text(f"\n{_word('fix', lang)}", style="bold"))
        grid = _grid()
        for number, step in enumerate(steps, 1):
            text = Text(_localized(step.get("text"), lang))
            if step.get("link"):
                text.append(f"\n{step['link']}", style="blue underline")
            grid.add_row(f"{number}.", text)
        parts.append(grid)
    if diagnosis.get("reply"):
        parts.append(Text(f"\n{_word('reply', lang)}: {diagnosis['reply']}", style="dim"))
    title = f"{_word('cause', lang)}: {_localized(diagnosis.get('title'), lang)} [{diagnosis.get('code')}]"
    return Panel(Group(*parts), title=Text(title), border_style="red", title_align="left")


def _grid() -> Table:
    """Two columns, a marker and a text that folds (Chinese has no spaces to wrap at)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _show_account(account: Account, lang: Lang) -> None:
    line = Text.assemble(f"#{account.id} {account.email} ", _status_text(account.status, lang))
    if account.name:
        line.append(f"  ({account.name})")
    console.print(line)
    s = account.settings
    console.print(
        Text(
            f"  IMAP {s.imap.host}:{s.imap.port} {s.imap.tls}   SMTP {s.smtp.host}:{s.smtp.port} {s.smtp.tls}\n"
            f"  {account.provider_id or '-'}   user {s.username}   sync_days {account.sync_days or '-'}"
        )
    )
    diagnosis = account.diagnosis_for(lang)
    if account.status == AccountStatus.ERROR and diagnosis:
        console.print(diagnosis_panel(diagnosis, lang))


def _report(result: BindResult, lang: Lang, as_json: bool) -> int:
    """Show a bind/verify outcome; the exit code says 正常 (0) or 异常 (2)."""
    code = EXIT_OK if result.ok else EXIT_ERROR
    if as_json:
        _print_json(result.to_dict(lang))
        return code
    for hint in result.to_dict(lang)["hints"]:
        err.print(f"[yellow]{_word('hint', lang)}[/yellow]: {escape(str(hint['text']))}")
    if result.account is not None:
        _show_account(result.account, lang)
        if result.diagnosis is not None and result.account.status != AccountStatus.ERROR:
            console.print(diagnosis_panel(result.diagnosis.to_dict(lang), lang))
    else:
        console.print(Text.assemble(f"{result.email} ", _status_text(result.status, lang)))
        if result.diagnosis is not None:
            console.print(diagnosis_panel(result.diagnosis.to_dict(lang), lang))
        console.print(_word("not_saved", lang))
    return code


@app.command()
def add(
    email: str,
    password_stdin: PasswordStdin = False,
    name: Annotated[str | None, typer.Option(help="A display name")] = None,
    provider: Annotated[str | None, typer.Option(help="A catalog provider id (skip detection)")] = None,
    imap_host: Annotated[str | None, typer.Option()] = None,
    imap_port: Annotated[int | None, typer.Option()] = None,
    imap_tls: Annotated[str | None, typer.Option(help="ssl or starttls")] = None,
    smtp_host: Annotated[str | None, typer.Option()] = None,
    smtp_port: Annotated[int | None, typer.Option()] = None,
    smtp_tls: Annotated[str | None, typer.Option(help="ssl or starttls")] = None,
    username: Annotated[str | None, typer.Option(help="Login name if not the address")] = None,
    sync_days: Annotated[int | None, typer.Option(help="How many days of mail to sync")] = None,
    save_unverified: Annotated[bool, typer.Option(help="Keep the account (as 异常) if it fails")] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Bind a mailbox with its address and password: detect, verify IMAP and SMTP, save as 正常."""
    chosen = chosen_language(lang)
    _check_tls(imap_tls, smtp_tls)
    secret = _read_password(password_stdin, chosen)
    overrides = ServerOverrides(
        provider_id=provider,
        imap_host=imap_host,
        imap_port=imap_port,
        imap_tls=imap_tls,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_tls=smtp_tls,
        username=username,
    )
    with account_service(chosen) as service:
        result = asyncio.run(service.add(email, secret, name, overrides, save_unverified, sync_days))
    raise typer.Exit(_report(result, chosen, as_json))


def _check_tls(*modes: str | None) -> None:
    for mode in modes:
        if mode is not None and mode not in ("ssl", "starttls"):
            raise typer.BadParameter(f"TLS mode must be ssl or starttls, not {mode!r}")


@app.command("list")
def list_accounts(as_json: JsonOption = False, lang: LangOption = None) -> None:
    """Every bound mailbox with its status."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        accounts = service.list()
    if as_json:
        _print_json([account.to_dict(chosen) for account in accounts])
        return
    if not accounts:
        console.print(_word("no_accounts", chosen))
        return
    table = Table("ID", "Email", "Name", "Provider", "Status", "Diagnosis")
    for account in accounts:
        table.add_row(
            str(account.id),
            account.email,
            account.name or "",
            account.provider_id or "",
            _status_text(account.status, chosen),
            account.diagnosis_code or "",
        )
    console.print(table)


@app.command()
def show(ref: Ref, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """One mailbox: settings, status, diagnosis, history and the last verification."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        detail = service.show(ref)
    if as_json:
        _print_json(detail.to_dict(chosen))
        return
    _show_account(detail.account, chosen)
    table = Table("At", "From", "To", "Reason", "Code", title=_word("history", chosen))
    for change in detail.history:
        row = change.to_dict(chosen)
        table.add_row(row["at"][:19], row["from"] or "", row["to"], row["reason"], row["diagnosis_code"] or "")
    console.print(table)
    if detail.last_verification is not None:
        last = detail.last_verification
        for name, ok, failure, reply in (
            ("IMAP", last.imap_ok, last.imap_failure, last.imap_reply),
            ("SMTP", last.smtp_ok, last.smtp_failure, last.smtp_reply),
        ):
            console.print(Text(f"{name}: {'ok' if ok else failure}  {reply or ''}"))


@app.command()
def verify(ref: Ref, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """Log in again with the stored settings; exit 0 when 正常, 2 when 异常."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        result = asyncio.run(service.verify(ref))
    raise typer.Exit(_report(result, chosen, as_json))


@app.command()
def pause(ref: Ref, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """已暂停: stop using the mailbox until resumed."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        account = service.pause(ref)
    if as_json:
        _print_json(account.to_dict(chosen))
    else:
        _show_account(account, chosen)


@app.command()
def resume(ref: Ref, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """Resume a paused mailbox: verify again, then 正常 or 异常."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        result = asyncio.run(service.resume(ref))
    raise typer.Exit(_report(result, chosen, as_json))


@app.command()
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option()] = None,
    password_stdin: PasswordStdin = False,
    provider: Annotated[str | None, typer.Option()] = None,
    imap_host: Annotated[str | None, typer.Option()] = None,
    imap_port: Annotated[int | None, typer.Option()] = None,
    imap_tls: Annotated[str | None, typer.Option()] = None,
    smtp_host: Annotated[str | None, typer.Option()] = None,
    smtp_port: Annotated[int | None, typer.Option()] = None,
    smtp_tls: Annotated[str | None, typer.Option()] = None,
    username: Annotated[str | None, typer.Option()] = None,
    sync_days: Annotated[int | None, typer.Option()] = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Change a mailbox; a new password or new servers are verified before they are saved."""
    chosen = chosen_language(lang)
    _check_tls(imap_tls, smtp_tls)
    secret = _read_password(True, chosen) if password_stdin else None
    overrides = ServerOverrides(
        provider_id=provider,
        imap_host=imap_host,
        imap_port=imap_port,
        imap_tls=imap_tls,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_tls=smtp_tls,
        username=username,
    )
    with account_service(chosen) as service:
        result = asyncio.run(service.edit(ref, name=name, password=secret, overrides=overrides, sync_days=sync_days))
    code = _report(result, chosen, as_json)
    if not result.saved and not as_json:
        console.print(_word("edit_kept", chosen))
    raise typer.Exit(code)


@app.command()
def delete(
    ref: Ref,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Delete a mailbox with its stored password, history and verification records."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        account = service.get(ref)
        if not yes and not typer.confirm(_word("confirm_delete", chosen, email=account.email)):
            raise typer.Exit(EXIT_REFUSED)
        service.delete(account.id)
    if as_json:
        _print_json({"id": account.id, "email": account.email, "deleted": True})
    else:
        console.print(_word("deleted", chosen, email=account.email))


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: email,password[,name]")],
    save_unverified: Annotated[bool, typer.Option(help="Keep accounts that fail (as 异常)")] = False,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Bind many mailboxes from a CSV file, a few at a time; exit 0 only when every line is 正常."""
    chosen = chosen_language(lang)
    with account_service(chosen) as service:
        progress = Progress(
            TextColumn(_word("importing", chosen)),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
        )
        with progress:
            task = progress.add_task("import", total=None)

            def advance(_outcome: Any) -> None:
                progress.advance(task)

            rows, problems = read_rows(file)
            progress.update(task, total=len(rows) + len(problems))
            summary = asyncio.run(service.import_csv(file, save_unverified=save_unverified, on_result=advance))
    if as_json:
        _print_json(summary.to_dict(chosen))
    else:
        table = Table("Line", "Email", "Status", "Code", "Message", title=_word("summary", chosen))
        for outcome in summary.outcomes:
            status = (
                _status_text(AccountStatus(outcome.status), chosen)
                if outcome.status != "refused"
                else Text("refused", style="red")
            )
            table.add_row(
                str(outcome.line),
                outcome.email,
                status,
                outcome.diagnosis_code or outcome.error_code or "",
                (outcome.message or {}).get(chosen, ""),
            )
        console.print(table)
        console.print("  ".join(f"{status}: {count}" for status, count in sorted(summary.counts.items())))
    all_normal = all(outcome.status == "normal" for outcome in summary.outcomes)
    raise typer.Exit(EXIT_OK if all_normal else EXIT_ERROR)
