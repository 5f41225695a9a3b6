"""Serving the console with uvicorn on an event loop that already runs the IMAP and SMTP servers.

uvicorn's ``Server.serve`` normally owns the process (it installs signal handlers); here the sandbox
service owns the loop and the signals, so the listener binds its own socket and never touches them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator

import uvicorn

from mailhub.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers, and stopping as soon as asked (not at the next 0.1 s tick)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the sandbox service handles signals, not uvicorn
        yield

    def request_exit(self) -> None:
        self.should_exit = True
        self._exit_requested.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):  # on_tick refreshes the Date header once a second
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), 0.1)


class ConsoleListener:
    """``await start(host, port)`` binds (port 0 = any free port) and returns the port; ``await close()``."""

    def __init__(self, sandbox_factory: Callable[[], Sandbox]) -> None:
        self._sandbox_factory = sandbox_factory
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        from mailhub.sandbox.console.app import create_console_app

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it every
        # keep-alive response waits ~40 ms for the client's delayed ACK (headers and body are two writes).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        config = uvicorn.Config(
            create_console_app(self._sandbox_factory),
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
            server_header=False,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="sandbox-console")
        while not self._server.started:  # startup is a few loop turns: create_server on the bound socket
            if self._task.done():
                self._task.result()  # raises the startup error
                raise RuntimeError("the console stopped during startup")
            await asyncio.sleep(0.01)
        bound = int(sock.getsockname()[1])
        log.info("sandbox console on http://%s:%d", host, bound)
        return bound

    async def close(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.request_exit()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None
