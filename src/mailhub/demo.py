"""``mailhub demo``: the whole story on one machine — the sandbox (Alibaba standard edition) with its console,
the hub with its web UI and workers, a demo mailbox bound through the catalog's real Alibaba settings, and a
sample message sent through the outbox and received by sync.

Everything goes through the real paths (SMS code, 验证并保存, outbox, IMAP IDLE); the demo only wires them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from mailhub.sandbox.demo import DEMO_DOMAIN, DEMO_EDITION, DemoMailbox, reset_demo_data, set_up_story
from mailhub.sandbox.profiles import get_edition
from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.service import SandboxService

PREFERRED_PORTS = {"imaps": 10993, "imap": 10143, "smtps": 10465, "submission": 10587, "console": 10080}
PREFERRED_WEB_PORT = 8700
SAMPLE_SUBJECT = "欢迎使用 mailhub / Welcome to mailhub"


@dataclass(frozen=True)
class DemoReport:
    """What the person needs to open and sign in to everything the demo started."""

    web_url: str
    web_password: str
    console_url: str
    console_password: str
    mailbox: DemoMailbox
    ports: dict[str, int]
    ca_file: Path
    account_status: str
    sample_received: bool


def free_or_any(host: str, port: int) -> int:
    """Keep the memorable port when it is free, else let the system choose (0)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return 0
    return port


def point_provider_hosts_at(host: str, ports: dict[str, int], ca_file: Path) -> None:
    """Make the catalog's real Alibaba host names reach this sandbox, TLS name checks on."""
    edition = get_edition(DEMO_EDITION)
    pairs = [f"{name}:993={host}:{ports['imaps']}" for name in edition.imap_hosts]
    pairs += [f"{name}:465={host}:{ports['smtps']}" for name in edition.smtp_hosts]
    os.environ["MAILHUB_RESOLVE"] = ",".join(pairs)
    os.environ["MAILHUB_CA_FILE"] = str(ca_file)


class Demo:
    """Start with ``await demo.start()``; stop with ``await demo.stop()``."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.host = host
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> DemoReport:
        from mailhub.accounts.models import ServerOverrides
        from mailhub.accounts.service import AccountService
        from mailhub.cli.serve import _Server, build_app
        from mailhub.runtime import Runtime
        from mailhub.sandbox.console.admins import ConsoleAdmins
        from mailhub.web.auth import set_admin_password

        sandbox_dir, hub_dir = self.data_dir / "sandbox", self.data_dir / "hub"
        reset_demo_data(sandbox_dir)
        shutil.rmtree(hub_dir, ignore_errors=True)
        self.sandbox = Sandbox(sandbox_dir)
        mailbox = set_up_story(self.sandbox)
        console_password = secrets.token_urlsafe(9)
        ConsoleAdmins(self.sandbox.db).set_password(
            DEMO_DOMAIN, console_password, known_domains=[d.name for d in self.sandbox.directory.list_domains()]
        )
        wanted = {name: free_or_any(self.host, port) for name, port in PREFERRED_PORTS.items()}
        self.sandbox_service = SandboxService(self.sandbox, self.host, wanted)
        ports = await self.sandbox_service.start()
        point_provider_hosts_at(self.host, ports, self.sandbox.tls.ca_file)

        os.environ["MAILHUB_HOME"] = str(hub_dir)
        self.service = AccountService.open()
        bound = await self.service.add(
            mailbox.address,
            mailbox.client_password,
            name="外贸销售 (演示)",
            overrides=ServerOverrides(provider_id=DEMO_EDITION),
        )
        web_password = secrets.token_urlsafe(9)
        set_admin_password(self.service.store, web_password)

        self.runtime = Runtime(self.service)
        self.http = _Server(build_app(self.runtime), self.host, free_or_any(self.host, PREFERRED_WEB_PORT), "warning")
        self._tasks.append(asyncio.create_task(self.http.serve(), name="demo-http"))
        while not self.http.server.started:
            await asyncio.sleep(0.02)
        self._tasks.append(asyncio.create_task(self.runtime.run(), name="demo-runtime"))
        received = await self._send_and_receive_sample(mailbox)
        web_host, web_port = self.http.address() or (self.host, PREFERRED_WEB_PORT)
        return DemoReport(
            web_url=f"http://{web_host}:{web_port}/",
            web_password=web_password,
            console_url=f"http://{self.host}:{ports['console']}/",
            console_password=console_password,
            mailbox=mailbox,
            ports=ports,
            ca_file=self.sandbox.tls.ca_file,
            account_status=bound.account.status.value,
            sample_received=received,
        )

    async def _send_and_receive_sample(self, mailbox: DemoMailbox, timeout: float = 60) -> bool:
        """Queue a message to the demo mailbox itself; the outbox worker sends it, sync brings it in."""
        from mailhub.outbox.compose import Draft, compose
        from mailhub.outbox.enqueue import enqueue
        from mailhub.sync.mail_queries import list_messages

        draft = Draft(
            from_address=mailbox.address,
            to=[mailbox.address],
            subject=SAMPLE_SUBJECT,
            text="这封信由 mailhub 的发件箱经客户端安全密码发出，再由同步收回。\n"
            "Sent by mailhub's outbox with a client security password, and synced back in.\n",
        )
        enqueue(self.service.store, mailbox.address, compose(draft), publish=self.runtime.publish)
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = list_messages(self.service.store, account=mailbox.address, folder="INBOX", search="mailhub")
            if found:
                return True
            await asyncio.sleep(0.25)
        return False

    async def stop(self) -> None:
        self.http.stop()
        for task in reversed(self._tasks):
            if task.get_name() == "demo-runtime":
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sandbox_service.stop()
        self.service.close()
        self.sandbox.close()
