"""``mailhub detect EMAIL``: which IMAP/SMTP settings an address needs, how they were found, and the provider's
setup steps, in zh-CN or en."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from mailhub.catalog import Detection, InvalidEmail, detect

console = Console()
err = Console(stderr=True)

Lang = Literal["zh", "en"]
WORDS: dict[str, dict[Lang, str]] = {
    "provider": {"zh": "服务商", "en": "Provider"},
    "unknown": {"zh": "未知", "en": "unknown"},
    "method": {"zh": "识别方式", "en": "Found by"},
    "not_found": {
        "zh": "没有找到该邮箱的 IMAP/SMTP 设置，请手动填写服务器。",
        "en": "No IMAP/SMTP settings found for this address; enter the servers by hand.",
    },
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码类型", "en": "Password"},
    "admin": {"zh": "管理员", "en": "Admin"},
    "user": {"zh": "用户", "en": "User"},
    "steps": {"zh": "设置步骤", "en": "Setup steps"},
    "lookups": {"zh": "查找过程", "en": "Lookups"},
}


def _show(detection: Detection, lang: Lang) -> None:
    def word(key: str) -> str:
        return WORDS[key][lang]

    provider, settings = detection.provider, detection.settings
    console.print(f"[bold]{detection.email}[/bold]")
    console.print(f"{word('provider')}: {provider.name(lang) if provider else word('unknown')}")
    if settings is None:
        console.print(f"[yellow]{word('not_found')}[/yellow]")
    else:
        console.print(f"{word('method')}: {detection.method} ({detection.confidence:.0%})")
        table = Table("", "host", "port", "TLS")
        for label, server in (("IMAP", settings.imap), ("SMTP", settings.smtp)):
            table.add_row(label, server.host, str(server.port), server.tls)
        console.print(table)
        console.print(f"{word('username')}: {settings.username}")
    if provider is not None:
        name = provider.password_name_zh if lang == "zh" else provider.password_name_en
        if provider.password_kind:
            console.print(f"{word('password')}: {name or provider.password_kind} ({provider.password_kind})")
        if provider.steps:
            console.print(f"[bold]{word('steps')}[/bold]")
            for number, step in enumerate(provider.steps, 1):
                link = f"  {step.link}" if step.link else ""
                console.print(f"  {number}. [{word(step.who)}] {step.text(lang)}{link}", markup=False)
    console.print(f"[dim]{word('lookups')}[/dim]")
    for lookup in detection.lookups:
        mark = "ok " if lookup.ok else "-- "
        console.print(f"  {mark}{lookup.method:<10} {lookup.elapsed_ms:>8.1f} ms  {lookup.detail}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``detect`` to the root app."""

    @app.command("detect")
    def detect_command(
        email: Annotated[str, typer.Argument(help="The mailbox address, e.g. sales@your-company.cn")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the detection as JSON.")] = False,
        lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
        timeout: Annotated[float, typer.Option(help="Seconds each lookup may take.")] = 5.0,
    ) -> None:
        """Find the IMAP/SMTP settings for an address: catalog, MX, autoconfig, SRV, probing."""
        if lang not in ("zh", "en"):
            err.print("--lang must be zh or en / --lang 只能是 zh 或 en")
            raise typer.Exit(2)
        try:
            detection = asyncio.run(detect(email, timeout=timeout))
        except InvalidEmail as error:
            err.print(error.message(lang), markup=False)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(detection.to_dict(lang), ensure_ascii=False, indent=2))
        else:
            _show(detection, lang)  # type: ignore[arg-type]
        if not detection.found:
            raise typer.Exit(1)
