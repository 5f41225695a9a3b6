"""``mailhub demo``: the seed's story on the embedded sandbox, ready to connect to in one command."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mailhub.paths import mailhub_home

console = Console()
PREFERRED_PORTS = {"imaps": 10993, "imap": 10143, "smtps": 10465, "submission": 10587}


def _free_or_any(host: str, port: int) -> int:
    """Keep the memorable port when it is free, else let the system choose (0)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return 0
    return port


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""

    @app.command()
    def demo(
        once: Annotated[bool, typer.Option("--once", help="Set up, prove it works, and exit.")] = False,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        data: Annotated[Path | None, typer.Option(help="Demo data dir (default MAILHUB_HOME/demo).")] = None,
    ) -> None:
        """Start the sandbox (Alibaba standard edition) with the seed's story done, and print how to connect."""
        from mailhub.sandbox.demo import prove_client_login, reset_demo_data, set_up_story
        from mailhub.sandbox.sandbox import Sandbox
        from mailhub.sandbox.service import SandboxService

        data_dir = data or mailhub_home() / "demo" / "sandbox"
        reset_demo_data(data_dir)
        ports = {name: _free_or_any(host, port) for name, port in PREFERRED_PORTS.items()}

        async def run() -> None:
            sandbox = Sandbox(data_dir)
            mailbox = set_up_story(sandbox)
            async with SandboxService(sandbox, host, ports) as service:
                ca_file = sandbox.tls.ca_file
                count = await prove_client_login(host, service.ports, mailbox, ca_file)
                _print_connection(host, service.ports, mailbox, ca_file, count)
                if not once:
                    console.print("[bold]Running. Press Ctrl-C to stop.[/bold]")
                    await asyncio.Event().wait()
            sandbox.close()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())


def _print_connection(host: str, ports: dict[str, int], mailbox, ca_file: Path, inbox_count: int) -> None:
    table = Table(title="mailhub sandbox — 阿里云企业邮箱 (标准版) 演示 / demo", show_header=True)
    table.add_column("")
    table.add_column("value")
    table.add_row("IMAP (收信)", f"{host}:{ports['imaps']} SSL · STARTTLS {host}:{ports['imap']}")
    table.add_row("SMTP (发信)", f"{host}:{ports['smtps']} SSL · STARTTLS {host}:{ports['submission']}")
    table.add_row("用户名 / username", mailbox.address)
    table.add_row("客户端安全密码 / client password", mailbox.client_password)
    table.add_row("备注 / remark", mailbox.remark)
    table.add_row("CA (trust this)", str(ca_file))
    console.print(table)
    console.print(
        f"✓ logged in over IMAPS and SMTPS with the client password; INBOX holds {inbox_count} message(s).",
        highlight=False,
    )
    console.print(
        "Point real host names at it: "
        f"MAILHUB_RESOLVE=imap.qiye.aliyun.com:993={host}:{ports['imaps']},"
        f"smtp.qiye.aliyun.com:465={host}:{ports['smtps']} MAILHUB_CA_FILE={ca_file}",
        highlight=False,
        soft_wrap=True,
    )
    print("READY", flush=True)
