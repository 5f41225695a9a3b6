"""A loopback TCP proxy that breaks connections on purpose: it drops one after so many bytes from the server,
or stalls it (stops forwarding, keeps it open). TLS passes through untouched, end to end.

    proxy = await FaultProxy(target_port, faults=[Fault("drop", 200_000), Fault("stall", 500_000)]).start()

The n-th connection gets ``faults[n]``; later ones pass cleanly. ``connections`` counts them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    """``kind`` "drop" (reset both sides) or "stall" (go silent) once ``after`` bytes came from the server."""

    kind: str
    after: int


@dataclass
class FaultProxy:
    target_port: int
    faults: list[Fault] = field(default_factory=list)
    target_host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0
    fired: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self.faults[self.connections] if self.connections < len(self.faults) else None
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        upstream = asyncio.create_task(self._pipe(reader, up_writer, None))
        downstream = asyncio.create_task(self._pipe(up_reader, writer, fault))
        await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for side in (writer, up_writer):
            side.close()
            self._writers.discard(side)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, fault: Fault | None) -> None:
        sent = 0
        try:
            while chunk := await reader.read(65536):
                if fault is not None and sent + len(chunk) >= fault.after:
                    writer.write(chunk[: max(0, fault.after - sent)])
                    self.fired.append(fault.kind)
                    if fault.kind == "stall":
                        await asyncio.Event().wait()  # silent until the client gives up and closes
                    transport = writer.transport
                    transport.abort()  # drop: a reset, no goodbye
                    return
                writer.write(chunk)
                sent += len(chunk)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            return
