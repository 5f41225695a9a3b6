"""Fixtures for the SMTP tests: the sandbox's SMTP listeners alone, on their own event loop thread.

Only SMTP runs, so these tests do not wait on the IMAP side; blocking clients (smtplib) and asyncio ones
(aiosmtplib, raw TLS streams) both work because the server loop lives in a background thread. The test acts on
the directory through its own ``Sandbox`` on the same data directory, as a CLI command would.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.smtp import SmtpServer

SMALL_LIMIT = 64 * 1024  # the test server's SIZE, so an oversized DATA stays cheap to send


class RunningSmtp:
    """The sandbox's SMTP server on 127.0.0.1 free ports; ``sandbox`` is the test's own handle."""

    def __init__(self, data_dir: Path) -> None:
        self.host = "127.0.0.1"
        self.data_dir = data_dir
        self.sandbox = Sandbox(data_dir)
        self.ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-loop", daemon=True)
        self.server_sandbox = Sandbox(data_dir)  # touch only through ``run``: it lives on the server thread
        self.server = SmtpServer(self.server_sandbox, max_message_size=SMALL_LIMIT)

    def start(self) -> None:
        self._thread.start()
        self.sandbox.tls.server_context()  # one CA for both handles, created before the server reads it
        self.ports = self.run(self.server.start(self.host, 0, 0))

    def stop(self) -> None:
        self.run(self.server.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self.server_sandbox.close()
        self.sandbox.close()

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's loop and return its result."""
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def on_server(self, function: Any, *args: Any) -> Any:
        """Call a plain function on the server's loop thread (e.g. with ``server_sandbox``)."""

        async def call() -> Any:
            return function(*args)

        return self.run(call())

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
    ) -> Any:
        """The admin's part of the seed: domain, 允许使用第三方客户端, the user, 开启IMAP/SMTP服务."""
        domain = address.rpartition("@")[2]
        if self.sandbox.directory.get_domain(domain) is None:
            self.sandbox.directory.add_domain(domain, edition)
        self.sandbox.security.set_policy(domain, third_party=third_party)
        user = self.sandbox.add_user(address, password, "13800138000")
        self.sandbox.directory.set_imap_smtp(address, imap_smtp)
        return user

    def new_client_password(self, address: str, remark: str = "来发信") -> str:
        """The user's part of the seed: enable, SMS code, 生成新密码 with a remark; returns the password."""
        security = self.sandbox.security
        if not security.client_passwords_enabled(address):
            security.enable_client_passwords(address)
        security.request_code(address)
        code = security.sms_messages(address)[-1].code
        _info, password = security.create_client_password(address, code, remark)
        return password


class Transcript:
    """A raw SMTP dialogue over a TLS socket, for exact reply lines (and SNI names smtplib cannot send)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._file = sock.makefile("rb")

    @classmethod
    def implicit_tls(cls, running: RunningSmtp, server_name: str | None = None) -> Transcript:
        raw = socket.create_connection((running.host, running.ports["smtps"]), timeout=10)
        return cls(running.client_context().wrap_socket(raw, server_hostname=server_name or running.host))

    def line(self) -> str:
        data = self._file.readline()
        if not data:
            raise EOFError("server closed the connection")
        return data.decode("utf-8").rstrip("\r\n")

    def reply(self) -> list[str]:
        """All lines of one (possibly multi-line) reply."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8") + b"\r\n")

    def command(self, text: str) -> str:
        """Send one command; return the last line of its reply."""
        self.send(text)
        return self.reply()[-1]

    def close(self) -> None:
        self._file.close()
        self.sock.close()


@pytest.fixture(name="smtp_sandbox")
def smtp_sandbox_fixture(tmp_path: Path) -> Iterator[RunningSmtp]:
    """A fresh sandbox data dir (own CA) with only the SMTP listeners running on free ports."""
    running = RunningSmtp(tmp_path / "sandbox")
    running.start()
    try:
        yield running
    finally:
        running.stop()
