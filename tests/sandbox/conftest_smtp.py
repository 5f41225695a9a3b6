"""Fixtures for the SMTP tests: the sandbox's SMTP listeners alone, on their own event loop thread.

Only SMTP runs, so these tests do not wait on the IMAP side; blocking clients (smtplib) and asyncio ones
(aiosmtplib, raw TLS streams) both work because the server loop lives in a background thread. The test acts on
the directory through its own ``Sandbox`` on the same data directory, as a CLI command would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sandbox_harness import SandboxAdmin, ServerLoop

from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.smtp import SmtpServer

SMALL_LIMIT = 64 * 1024  # the test server's SIZE, so an oversized DATA stays cheap to send


class RunningSmtp(ServerLoop, SandboxAdmin):
    """The sandbox's SMTP server on 127.0.0.1 free ports; ``sandbox`` is the test's own handle."""

    def __init__(self, data_dir: Path) -> None:
        self.host = "127.0.0.1"
        self.data_dir = data_dir
        self.sandbox = Sandbox(data_dir)
        self.ports: dict[str, int] = {}
        ServerLoop.__init__(self, "smtp-loop")
        self.server_sandbox = Sandbox(data_dir)  # touch only through ``run``: it lives on the server thread
        self.server = SmtpServer(self.server_sandbox, max_message_size=SMALL_LIMIT)

    def start(self) -> None:
        self.start_loop()
        self.sandbox.tls.server_context()  # one CA for both handles, created before the server reads it
        self.ports = self.run(self.server.start(self.host, 0, 0))

    def stop(self) -> None:
        self.run(self.server.close())
        self.stop_loop()
        self.server_sandbox.close()
        self.sandbox.close()


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
