"""Shared fixtures: a running sandbox mail service on free loopback ports, with real TLS.

The service runs on its own event loop in a background thread, so tests can drive it with blocking clients
(imaplib, smtplib, mbsync, swaks) as well as asyncio ones. Tests act on the directory through their own
``Sandbox`` on the same data directory — exactly what a CLI command in another process does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sandbox_harness import SandboxAdmin, ServerLoop

from mailhub.sandbox.profiles import get_edition
from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.service import SandboxService

ANY_PORT = {"imaps": 0, "imap": 0, "smtps": 0, "submission": 0}
WITH_CONSOLE = {**ANY_PORT, "console": 0}  # the web console too (src/mailhub/sandbox/console)


class RunningSandbox(ServerLoop, SandboxAdmin):
    """A sandbox serving IMAP/SMTP on 127.0.0.1; ``sandbox`` is the test's own handle on its data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.host = "127.0.0.1"
        self.sandbox = Sandbox(data_dir)
        self.ports: dict[str, int] = {}
        ServerLoop.__init__(self, "sandbox-loop")
        self._service: SandboxService | None = None

    @property
    def console_url(self) -> str:
        """The web console's base URL, e.g. ``http://127.0.0.1:40123`` (no trailing slash)."""
        return f"http://{self.host}:{self.ports['console']}"

    def start(self) -> None:
        self.start_loop()
        self._service = SandboxService(Sandbox(self.data_dir), self.host, WITH_CONSOLE)
        self.ports = self.run(self._service.start())

    def stop(self) -> None:
        if self._service is not None:
            self.run(self._service.stop())
            self._service.sandbox.close()
        self.stop_loop()
        self.sandbox.close()

    @property
    def server_sandbox(self) -> Sandbox:
        """The server's own handle (use only through ``run``: it lives on the server thread)."""
        assert self._service is not None
        return self._service.sandbox

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
