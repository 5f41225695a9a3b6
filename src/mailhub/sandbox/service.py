"""Running the sandbox: IMAP and SMTP listeners on one event loop, plus the watcher that notices changes
made by other processes (a CLI ``client-password delete`` ends the live sessions it opened within 0.2 s).
With a ``"console"`` port, the web console (admin and user pages) is served on the same loop too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from mailhub.sandbox import db
from mailhub.sandbox.imap import ImapServer
from mailhub.sandbox.sandbox import Sandbox
from mailhub.sandbox.smtp import SmtpServer

if TYPE_CHECKING:
    from mailhub.sandbox.console.server import ConsoleListener

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"imaps": 993, "imap": 143, "smtps": 465, "submission": 587}
WATCH_INTERVAL = 0.2  # seconds between checks of PRAGMA data_version


class SandboxService:
    """``await start()`` binds the listeners (port 0 = any free port) and fills ``ports``; ``await stop()``.
    ``ports`` may add ``"console": N`` to serve the web console over HTTP as well."""

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> None:
        self.sandbox = sandbox
        self.host = host
        self.requested_ports = dict(DEFAULT_PORTS if ports is None else ports)
        self.ports: dict[str, int] = {}
        self._imap = ImapServer(sandbox)
        self._smtp = SmtpServer(sandbox)
        self._console: ConsoleListener | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> dict[str, int]:
        self.sandbox.tls.server_context()  # create the CA and certificate before the first client arrives
        wanted = self.requested_ports
        self.ports.update(await self._imap.start(self.host, wanted.get("imaps"), wanted.get("imap")))
        self.ports.update(await self._smtp.start(self.host, wanted.get("smtps"), wanted.get("submission")))
        if wanted.get("console") is not None:
            from mailhub.sandbox.console.server import ConsoleListener  # FastAPI loads only when asked for

            # The console acts on this service's own Sandbox: deleting a client password there ends the
            # live IMAP/SMTP sessions it opened, in-process.
            self._console = ConsoleListener(lambda: self.sandbox)
            self.ports["console"] = await self._console.start(self.host, wanted["console"])
        self._watcher = asyncio.create_task(self._watch_other_processes(), name="sandbox-watcher")
        log.info("sandbox listening on %s %s", self.host, self.ports)
        return self.ports

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._console is not None:
            await self._console.close()
        await self._imap.close()
        await self._smtp.close()

    async def __aenter__(self) -> SandboxService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _watch_other_processes(self) -> None:
        seen = db.data_version(self.sandbox.db)
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                current = db.data_version(self.sandbox.db)
                if current != seen:
                    seen = current
                    ended = self.sandbox.revoke_vanished_client_passwords()
                    if ended:
                        log.info("ended %d session(s) of revoked client passwords", ended)
            except Exception:  # the watcher must outlive a transient database error
                log.exception("sandbox watcher failed; retrying")
