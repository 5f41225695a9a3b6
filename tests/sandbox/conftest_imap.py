"""Fixtures for the IMAP tests: the sandbox's IMAP listeners alone, on their own event loop thread.

Blocking clients (imaplib, imapclient, raw TLS sockets) and asyncio ones (aioimaplib) both work because the
server loop lives in a background thread. The test acts on the directory and the mail store through its own
``Sandbox`` on the same data directory, as a CLI command in another process would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.sandbox_harness import SandboxAdmin, ServerLoop

from mailhub.sandbox.imap import ImapServer
from mailhub.sandbox.sandbox import Sandbox

ADDRESS = "zhang.wei@trade-demo.cn"
PASSWORD = "Web-Passw0rd!"
SMALL_APPEND_LIMIT = 256 * 1024  # the test server's APPEND limit, so an oversized literal stays cheap


class RunningImap(ServerLoop, SandboxAdmin):
    """The sandbox's IMAP server on 127.0.0.1 free ports; ``sandbox`` is the test's own handle."""

    def __init__(self, data_dir: Path) -> None:
        self.host = "127.0.0.1"
        self.data_dir = data_dir
        self.sandbox = Sandbox(data_dir)
        self.ports: dict[str, int] = {}
        ServerLoop.__init__(self, "imap-loop")
        self.server_sandbox: Sandbox | None = None
        self.server: ImapServer | None = None

    def start(self) -> None:
        self.start_loop()
        self.sandbox.tls.server_context()  # one CA for both handles, created before the server reads it
        self.server_sandbox = Sandbox(self.data_dir)  # touch only through ``on_server``
        self.server = ImapServer(self.server_sandbox, append_limit=SMALL_APPEND_LIMIT)
        self.ports = self.run(self.server.start(self.host, 0, 0))

    def stop_server(self) -> None:
        """Stop listening and close the server's database handle (the loop keeps running)."""
        if self.server is not None:
            self.run(self.server.close())
            self.on_server(self.server_sandbox.close)  # type: ignore[union-attr]
            self.server = None

    def stop(self) -> None:
        self.stop_server()
        self.stop_loop()
        self.sandbox.close()

    def bind_user(self, address: str = ADDRESS, password: str = PASSWORD, **options: Any) -> Any:
        return super().bind_user(address, password, **options)

    def new_client_password(self, address: str = ADDRESS, remark: str = "来发信") -> str:
        return super().new_client_password(address, remark)

    def live_sessions(self) -> int:
        return self.on_server(lambda: len(self.server_sandbox.sessions))  # type: ignore[union-attr]


class Transcript:
    """A raw IMAP dialogue over a socket (TLS or not), for exact response bytes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._file = sock.makefile("rb")
        self._tags = 0

    @classmethod
    def implicit_tls(cls, running: RunningImap, server_name: str | None = None) -> Transcript:
        raw = socket.create_connection((running.host, running.ports["imaps"]), timeout=10)
        return cls(running.client_context().wrap_socket(raw, server_hostname=server_name or running.host))

    @classmethod
    def plain(cls, running: RunningImap) -> Transcript:
        return cls(socket.create_connection((running.host, running.ports["imap"]), timeout=10))

    def line(self) -> bytes:
        data = self._file.readline()
        if not data:
            raise EOFError("server closed the connection")
        return data.rstrip(b"\r\n")

    def read_exactly(self, size: int) -> bytes:
        return self._file.read(size)

    def send(self, data: bytes | str) -> None:
        self.sock.sendall((data.encode() if isinstance(data, str) else data) + b"\r\n")

    def command(self, text: str) -> tuple[list[bytes], bytes]:
        """Send ``<tag> <text>``; return (untagged lines, the tagged line without its tag)."""
        self._tags += 1
        tag = f"t{self._tags}"
        self.send(f"{tag} {text}")
        return self.until(tag)

    def until(self, tag: str) -> tuple[list[bytes], bytes]:
        untagged: list[bytes] = []
        while True:
            line = self.line()
            if line.startswith(tag.encode() + b" "):
                return untagged, line[len(tag) + 1 :]
            untagged.append(line)

    def login(self, address: str, secret: str) -> bytes:
        return self.command(f'LOGIN "{address}" "{secret}"')[1]

    def close(self) -> None:
        self._file.close()
        self.sock.close()


@pytest.fixture(name="imap")
def imap_fixture(tmp_path: Path) -> Iterator[RunningImap]:
    """A fresh sandbox data dir (own CA) with only the IMAP listeners running on free ports."""
    running = RunningImap(tmp_path / "sandbox")
    running.start()
    try:
        yield running
    finally:
        running.stop()
