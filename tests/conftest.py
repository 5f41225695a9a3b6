"""Shared fixtures: a running sandbox mail service on free loopback ports, with real TLS.

The service runs on its own event loop in a background thread, so tests can drive it with blocking clients
(imaplib, smtplib, mbsync, swaks) as well as asyncio ones. Tests act on the directory through their own
``Sandbox`` on the same data directory — exactly what a CLI command in another process does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from mailhub.sandbox.profiles import get_edition
from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.service import SandboxService

ANY_PORT = {"imaps": 0, "imap": 0, "smtps": 0, "submission": 0}
WITH_CONSOLE = {**ANY_PORT, "console": 0}  # the web console too (src/mailhub/sandbox/console)


async def _cancel_leftover_tasks() -> None:
    """End connection tasks that outlived the listeners, so the loop stops without pending-task warnings."""
    leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


class RunningSandbox:
    """A sandbox serving IMAP/SMTP on 127.0.0.1; ``sandbox`` is the test's own handle on its data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.host = "127.0.0.1"
        self.sandbox = Sandbox(data_dir)
        self.ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox-loop", daemon=True)
        self._service: SandboxService | None = None

    @property
    def ca_file(self) -> Path:
        return self.sandbox.tls.ca_file

    @property
    def console_url(self) -> str:
        """The web console's base URL, e.g. ``http://127.0.0.1:40123`` (no trailing slash)."""
        return f"http://{self.host}:{self.ports['console']}"

    def start(self) -> None:
        self._thread.start()
        self._service = SandboxService(Sandbox(self.data_dir), self.host, WITH_CONSOLE)
        self.ports = self.run(self._service.start())

    def stop(self) -> None:
        if self._service is not None:
            self.run(self._service.stop())
            self._service.sandbox.close()
        self.run(_cancel_leftover_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self.sandbox.close()

    def run(self, coroutine, timeout: float = 30):
        """Run a coroutine on the server's event loop and return its result."""
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    @property
    def server_sandbox(self) -> Sandbox:
        """The server's own handle (use only through ``run``: it lives on the server thread)."""
        assert self._service is not None
        return self._service.sandbox

    def bind_user(
        self,
        address: str,
        password: str,
        *,
        edition: str = "aliyun-standard",
        third_party: str = "all",
        imap_smtp: bool = True,
        phone: str = "13800138000",
        department: str | None = None,
    ):
        """The admin's part of the seed: domain, 允许使用第三方客户端, the user, 开启IMAP/SMTP服务."""
        domain = address.rpartition("@")[2]
        if self.sandbox.directory.get_domain(domain) is None:
            self.sandbox.directory.add_domain(domain, edition)
        self.sandbox.security.set_policy(domain, third_party=third_party)
        user = self.sandbox.add_user(address, password, phone, department)
        self.sandbox.directory.set_imap_smtp(address, imap_smtp)
        return user

    def new_client_password(self, address: str, remark: str = "来发信") -> str:
        """The user's part of the seed: enable, SMS code to the phone, 生成新密码 with a remark."""
        security = self.sandbox.security
        security.enable_client_passwords(address)
        security.request_code(address)
        code = security.sms_messages(address)[-1].code
        _info, password = security.create_client_password(address, code, remark)
        return password

    def resolve_env(self, edition_id: str) -> str:
        """A MAILHUB_RESOLVE value pointing the edition's real host names and ports at this sandbox."""
        edition = get_edition(edition_id)
        pairs = []
        for host in edition.imap_hosts:
            pairs += [
                f"{host}:993=127.0.0.1:{self.ports['imaps']}",
                f"{host}:143=127.0.0.1:{self.ports['imap']}",
            ]
        for host in edition.smtp_hosts:
            pairs += [
                f"{host}:465=127.0.0.1:{self.ports['smtps']}",
                f"{host}:587=127.0.0.1:{self.ports['submission']}",
                f"{host}:25=127.0.0.1:{self.ports['submission']}",
            ]
        return ",".join(pairs)


@pytest.fixture
def sandbox_service(tmp_path: Path) -> Iterator[RunningSandbox]:
    """A fresh sandbox (own data dir, own CA) serving IMAPS/IMAP/SMTPS/submission on free ports."""
    running = RunningSandbox(tmp_path / "sandbox")
    running.start()
    try:
        yield running
    finally:
        running.stop()
