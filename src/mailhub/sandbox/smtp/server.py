"""The sandbox's SMTP listeners: 465-style implicit TLS and 587-style STARTTLS, on the caller's event loop.

aiosmtpd's ``Controller`` would run its own loop in a thread; the sandbox keeps every protocol on one loop
(the directory, the gate and the mail store share one SQLite connection), so the ``SMTP`` protocol class is
served directly with ``loop.create_server``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from mailhub.sandbox.smtp.protocol import SubmissionSMTP
from mailhub.sandbox.smtp.submission import Submission

if TYPE_CHECKING:
    from mailhub.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 50 * 1024 * 1024  # advertised as SIZE; Alibaba's own limit is of this order


class SmtpServer:
    """``await start(host, smtps_port, submission_port)`` binds (None = that listener off, 0 = any free
    port) and returns ``{"smtps": p, "submission": p}``; ``await close()`` stops listening and hangs up."""

    def __init__(self, sandbox: Sandbox, max_message_size: int = MAX_MESSAGE_SIZE) -> None:
        self.sandbox = sandbox
        self.max_message_size = max_message_size
        self._handler = Submission(sandbox)
        self._servers: list[asyncio.Server] = []
        self._connections: set[SubmissionSMTP] = set()

    async def start(self, host: str, smtps_port: int | None, submission_port: int | None) -> dict[str, int]:
        loop = asyncio.get_running_loop()
        context = self.sandbox.tls.server_context()
        ports: dict[str, int] = {}

        def connection(implicit_tls: bool) -> SubmissionSMTP:
            return SubmissionSMTP(
                self.sandbox,
                self._handler,
                implicit_tls=implicit_tls,
                tls_context=context,
                max_message_size=self.max_message_size,
                connections=self._connections,
                loop=loop,
            )

        if smtps_port is not None:
            server = await loop.create_server(lambda: connection(True), host, smtps_port, ssl=context)
            self._servers.append(server)
            ports["smtps"] = server.sockets[0].getsockname()[1]
        if submission_port is not None:
            server = await loop.create_server(lambda: connection(False), host, submission_port)
            self._servers.append(server)
            ports["submission"] = server.sockets[0].getsockname()[1]
        log.info("sandbox smtp listening on %s %s", host, ports)
        return ports

    @property
    def connection_count(self) -> int:
        """Open client connections (after the TLS handshake on 465)."""
        return len(self._connections)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for connection in list(self._connections):
            connection.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
