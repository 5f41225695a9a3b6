"""``mailhub demo``: the seed's whole story on the embedded sandbox, with the hub's web UI, in one command."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mailhub.paths import mailhub_home

console = Console()


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""

    @app.command()
    def demo(
        once: Annotated[bool, typer.Option("--once", help="Set up, prove it works, and exit.")] = False,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        data: Annotated[Path | None, typer.Option(help="Demo data dir (default MAILHUB_HOME/demo).")] = None,
    ) -> None:
        """Start the sandbox (Alibaba standard edition) and the hub with a demo mailbox bound; print the URLs."""
        from mailhub.demo import Demo

        data_dir = data or mailhub_home() / "demo"

        async def run() -> int:
            demo = Demo(data_dir, host)
            try:
                report = await demo.start()
                _print_report(report)
                ok = report.account_status == "normal" and report.sample_received
                if ok and not once:
                    console.print("[bold]Running — 按 Ctrl-C 停止 / press Ctrl-C to stop.[/bold]")
                    await asyncio.Event().wait()
                return 0 if ok else 1
            finally:
                await demo.stop()

        code = 0
        with contextlib.suppress(KeyboardInterrupt):
            code = asyncio.run(run())
        raise typer.Exit(code)


def _print_report(report) -> None:
    mailbox, ports, host = report.mailbox, report.ports, report.web_url.split("//")[1].split(":")[0]
    table = Table(title="mailhub demo — 阿里云企业邮箱 (标准版) 沙箱 / sandbox", show_header=False)
    table.add_column("")
    table.add_column("")
    table.add_row("Hub web UI (邮箱账号 / 电子邮件)", f"{report.web_url}  admin password: {report.web_password}")
    table.add_row(
        "Sandbox console (管理后台 / 账户与安全)",
        f"{report.console_url}  postmaster@{mailbox.address.split('@')[1]} / {report.console_password}",
    )
    table.add_row("IMAP (收信)", f"{host}:{ports['imaps']} SSL · STARTTLS {host}:{ports['imap']}")
    table.add_row("SMTP (发信)", f"{host}:{ports['smtps']} SSL · STARTTLS {host}:{ports['submission']}")
    table.add_row("用户名 / username", mailbox.address)
    table.add_row("客户端安全密码 / client password", f"{mailbox.client_password}  (备注 {mailbox.remark})")
    table.add_row("CA (trust this)", str(report.ca_file))
    console.print(table)
    status = "正常 / normal" if report.account_status == "normal" else report.account_status
    console.print(f"✓ demo mailbox bound in the hub: {status}", highlight=False)
    received = "received by sync ✓" if report.sample_received else "NOT received ✗"
    console.print(f"✓ sample message sent through the outbox, {received}", highlight=False)
    console.print(f"Open {report.web_url} in a browser.", highlight=False)
    print("READY", flush=True)
