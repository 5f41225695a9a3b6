"""A loopback TCP proxy that adds a fixed delay each way and counts concurrent connections per target,
so a benchmark sees provider-like round trips and can prove it respected connection limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LatencyProxy:
    """Listens on 127.0.0.1:<port> for each target port; every chunk is delivered ``delay`` seconds later."""

    targets: dict[str, int]  # name -> target port on 127.0.0.1
    delay: float = 0.05
    ports: dict[str, int] = field(default_factory=dict)
    active: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    _servers: list[asyncio.Server] = field(default_factory=list)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> LatencyProxy:
        for name, port in self.targets.items():
            server = await asyncio.start_server(
                lambda r, w, n=name, p=port: self._serve(n, p, r, w), "127.0.0.1", 0, backlog=1024
            )
            self._servers.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        # Let connections drain their delayed last chunks first: cancelling them makes Python 3.11's
        # start_server print a CancelledError traceback for each.
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=2 * self.delay + 1)
        for server in self._servers:
            server.close()
            await server.wait_closed()

    async def _serve(self, name: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)
        self.active[name] += 1
        self.peak[name] = max(self.peak[name], self.active[name])
        counted = True

        def client_closed() -> None:
            # A connection counts while the *client* holds it open: the delayed upstream leg that the proxy
            # itself keeps draining for another ``delay`` is not the client's connection any more.
            nonlocal counted
            if counted:
                counted = False
                self.active[name] -= 1

        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.gather(self._pipe(reader, up_writer, client_closed), self._pipe(up_reader, writer))
        except OSError:
            pass
        finally:
            client_closed()
            writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_eof: Callable[[], None] | None = None
    ) -> None:
        """Forward chunks in order, each ``delay`` after it arrived (a queue keeps the delay, not a sleep per read)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        sender = asyncio.create_task(send())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((loop.time() + self.delay, chunk))
        except OSError:
            pass
        if on_eof is not None:
            on_eof()
        queue.put_nowait((loop.time() + self.delay, b""))
        with contextlib.suppress(OSError):
            await sender
