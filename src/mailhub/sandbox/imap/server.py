"""The sandbox's IMAP listeners: implicit TLS (993-style) and STARTTLS (143-style) on the caller's loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import TYPE_CHECKING

from mailhub.sandbox.imap.session import Session

if TYPE_CHECKING:
    from mailhub.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)


def _tune_socket(writer: asyncio.StreamWriter) -> None:
    """Answers go out at once (no Nagle delay on a short tagged line after a literal)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


APPEND_LITERAL_LIMIT = 64 * 1024 * 1024
COMMAND_LITERAL_LIMIT = 64 * 1024  # any other command: user names, passwords, search strings
MAX_LINE = 64 * 1024
IDLE_TIMEOUT = 30 * 60.0


class ImapServer:
    """``await start(host, imaps_port, imap_port)`` binds (None = that listener off, 0 = any free port) and
    returns ``{"imaps": p, "imap": p}``; ``await close()`` stops listening and ends every session."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        append_limit: int = APPEND_LITERAL_LIMIT,
        command_literal_limit: int = COMMAND_LITERAL_LIMIT,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.sandbox = sandbox
        self.append_limit = append_limit
        self.command_literal_limit = command_literal_limit
        self.idle_timeout = idle_timeout
        self._servers: list[asyncio.Server] = []
        self._sessions: set[Session] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, imaps_port: int | None, imap_port: int | None) -> dict[str, int]:
        context = self.sandbox.tls.server_context()
        ports: dict[str, int] = {}
        if imaps_port is not None:
            server = await asyncio.start_server(
                lambda r, w: self._serve(r, w, tls=True),
                host,
                imaps_port,
                ssl=context,
                ssl_handshake_timeout=30,
                limit=MAX_LINE,
            )
            self._servers.append(server)
            ports["imaps"] = server.sockets[0].getsockname()[1]
        if imap_port is not None:
            server = await asyncio.start_server(
                lambda r, w: self._serve(r, w, tls=False), host, imap_port, limit=MAX_LINE
            )
            self._servers.append(server)
            ports["imap"] = server.sockets[0].getsockname()[1]
        log.info("sandbox imap listening on %s %s", host, ports)
        return ports

    def literal_limit(self, first_line: bytes) -> int:
        """How big a literal the command starting with ``first_line`` may carry."""
        words = first_line.split(b" ", 2)
        return self.append_limit if len(words) > 1 and words[1].upper() == b"APPEND" else self.command_literal_limit

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: bool) -> None:
        _tune_socket(writer)
        session = Session(self, reader, writer, tls)
        self._sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.run()
        except asyncio.CancelledError:
            # Ending quietly: asyncio's stream callback logs an error for a cancelled connection task.
            session.close_quietly()
        finally:
            if task is not None:
                self._tasks.discard(task)

    def forget(self, session: Session) -> None:
        self._sessions.discard(session)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self._sessions):
            session.write(b"* BYE server shutting down\r\n")
            session.close_quietly()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
