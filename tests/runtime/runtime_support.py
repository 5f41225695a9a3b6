"""Fixtures for the supervisor tests: a hub home, a store on SQLite or PostgreSQL, real webhook receivers
(HTTP servers on loopback), and the hub bound to the sandbox through the catalog's Alibaba settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.peers.postgres import fresh_schema

from mailhub.accounts import AccountService, ServerOverrides

DOMAIN = "acme-trade.cn"
MAIN = "Main-Passw0rd!"


@pytest.fixture(name="hub_home")
def hub_home_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``MAILHUB_HOME`` in tmp_path, nothing inherited from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("MAILHUB_HOME", str(home))
    monkeypatch.setenv("MAILHUB_LANG", "en")
    for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(name="db_url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'mailhub.db'}"
        return
    with fresh_schema("mailhub_rt") as url:
        yield url


# -- webhook receivers ---------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records every POST. ``fail_first`` answers 500 that many times;
    ``hold`` (when set) makes each request wait until ``release`` is set — a slow endpoint, without timing."""

    fail_first: int = 0
    hold: bool = False
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                entry = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with receiver.arrived:
                    receiver.requests.append(entry)
                    failing = len(receiver.requests) <= receiver.fail_first
                    receiver.arrived.notify_all()
                if receiver.hold:
                    receiver.release.wait(60)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    async def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 20) -> list[Received]:
        """Wait (without blocking the event loop) until ``predicate(requests)`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            with self.arrived:
                snapshot = list(self.requests)
            if predicate(snapshot):
                return snapshot
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {len(snapshot)} requests; condition not met")
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(**options: Any) -> Receiver:
        receiver = Receiver(**options).start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()


# -- the hub over the sandbox --------------------------------------------------------------------------


class RuntimeHub:
    """The account service over the sandbox, plus the CLI as another process would run it."""

    def __init__(self, running, home: Path) -> None:
        self.running = running
        self.home = home
        self.service = AccountService.open()
        self.store = self.service.store

    async def bind(self, local: str) -> tuple[int, str]:
        """An Alibaba mailbox set up as the seed guide says, bound through AccountService."""
        address = f"{local}@{DOMAIN}"
        self.running.bind_user(address, MAIN)
        client_password = self.running.new_client_password(address)
        result = await self.service.add(address, client_password, overrides=ServerOverrides("aliyun-standard"))
        assert result.ok, result.diagnosis and result.diagnosis.code
        return result.account.id, address

    async def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``mailhub ARGS`` in another process (same environment), without blocking the event loop."""
        command = [sys.executable, "-m", "mailhub", *args]

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))

        result = await asyncio.to_thread(run)
        assert result.returncode in (0, 2), f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def imap_sessions(self) -> int:
        """Live sessions in the sandbox (the tests bind one user at a time, and queue no mail)."""

        async def count() -> int:
            return len(self.running.server_sandbox.sessions)

        return self.running.run(count())

    def imap_logins(self, address: str) -> int:
        """Allowed IMAP logins for ``address`` in the sandbox's audit log."""
        entries = self.running.sandbox.security.audit_log(address, limit=1000)
        return sum(1 for e in entries if e.allowed and e.protocol.value == "imap")

    def close(self) -> None:
        self.service.close()


def _runtime_hub(sandbox_service, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeHub]:
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    runtime_hub = RuntimeHub(sandbox_service, home)
    try:
        yield runtime_hub
    finally:
        runtime_hub.close()


@pytest.fixture
def hub(sandbox_service, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeHub]:
    """The hub on SQLite in its home, bound to the sandbox."""
    yield from _runtime_hub(sandbox_service, hub_home, monkeypatch)


@pytest.fixture
def any_hub(db_url: str, sandbox_service, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeHub]:
    """The same, once on SQLite and once on PostgreSQL (``MAILHUB_DATABASE_URL``, for the CLI processes too)."""
    monkeypatch.setenv("MAILHUB_DATABASE_URL", db_url)
    yield from _runtime_hub(sandbox_service, hub_home, monkeypatch)


async def eventually(check: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Poll ``check()`` until it returns something truthy (an upper bound against hangs, not a timing test)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
