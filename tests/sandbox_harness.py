"""What every in-process sandbox fixture shares: a server event loop on a background thread (so blocking
clients work beside asyncio ones) and the seed's admin and user steps on the test's own ``Sandbox`` handle."""

from __future__ import annotations

import asyncio
import ssl
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mailhub.sandbox.sandbox import Sandbox


async def _cancel_leftover_tasks() -> None:
    """End connection tasks that outlived the listeners, so the loop stops without pending-task warnings."""
    leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


class ServerLoop:
    """An event loop running in a daemon thread; servers live on it, tests talk to them from outside."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)

    def start_loop(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stop_loop(self) -> None:
        self.run(_cancel_leftover_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's loop and return its result."""
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def on_server(self, function: Any, *args: Any) -> Any:
        """Call a plain function on the server's loop thread (e.g. with the server's own ``Sandbox``)."""

        async def call() -> Any:
            return function(*args)

        return self.run(call())


class SandboxAdmin:
    """The seed's steps through the test's own ``sandbox`` handle, as a CLI command in another process would."""

    sandbox: Sandbox

    @property
    def ca_file(self) -> Path:
        return self.sandbox.tls.ca_file

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

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
    ) -> Any:
        """The admin's part: domain, 允许使用第三方客户端, the user, 开启IMAP/SMTP服务."""
        domain = address.rpartition("@")[2]
        if self.sandbox.directory.get_domain(domain) is None:
            self.sandbox.directory.add_domain(domain, edition)
        self.sandbox.security.set_policy(domain, third_party=third_party)
        user = self.sandbox.add_user(address, password, phone, department)
        self.sandbox.directory.set_imap_smtp(address, imap_smtp)
        return user

    def new_client_password(self, address: str, remark: str = "来发信") -> str:
        """The user's part: enable, SMS code to the phone, 生成新密码 with a remark; returns the password."""
        security = self.sandbox.security
        if not security.client_passwords_enabled(address):
            security.enable_client_passwords(address)
        security.request_code(address)
        code = security.sms_messages(address)[-1].code
        _info, password = security.create_client_password(address, code, remark)
        return password
