"""Implicit-TLS streams with a small read buffer, for connections that stay open for days.

asyncio's TLS layer (``sslproto.SSLProtocol``) allocates and zero-fills a 256 KiB read buffer for every
connection: 2,000 idle accounts would hold 500 MB for nothing. One TLS record is at most 16 KiB, so a
buffer of one record (plus header and MAC) loses little throughput and makes an idle session cheap.
This uses asyncio's own TLS protocol class, only with a smaller ``max_size``; if a future Python changes
its constructor, ``open_tls_stream`` falls back to the standard ``asyncio.open_connection``.
"""

from __future__ import annotations

import asyncio
import socket
from asyncio import sslproto

from mailhub.transport.connect import tls_failure
from mailhub.transport.endpoints import client_ssl_context

TLS_READ_BUFFER = 17 * 1024  # one TLS record (16 KiB) with its header and MAC


class _LeanSSLProtocol(sslproto.SSLProtocol):
    max_size = TLS_READ_BUFFER

    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        super()._on_handshake_complete(handshake_exc)
        # The decoded certificate (about 5 KB of dicts and tuples) was checked already and nobody reads it.
        self._extra.pop("peercert", None)


async def open_tls_stream(
    sock: socket.socket, host: str, *, timeout: float, limit: int = 64 * 1024
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams over ``sock`` after a TLS handshake that checks the certificate against ``host``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    waiter: asyncio.Future[None] = loop.create_future()
    try:
        tls = _LeanSSLProtocol(
            loop,
            protocol,
            client_ssl_context(),
            waiter,
            server_side=False,
            server_hostname=host,
            ssl_handshake_timeout=timeout,
        )
        app_transport = tls._app_transport
    except (TypeError, AttributeError):  # asyncio internals moved: pay the big buffer, keep working
        return await asyncio.wait_for(
            asyncio.open_connection(sock=sock, ssl=client_ssl_context(), server_hostname=host, limit=limit), timeout
        )
    try:
        transport, _ = await loop.create_connection(lambda: tls, sock=sock)
    except OSError as exc:
        sock.close()
        raise tls_failure(exc, "tls") from None
    try:
        async with asyncio.timeout(timeout):
            await waiter
    except (OSError, TimeoutError, EOFError) as exc:
        transport.close()
        raise tls_failure(exc, "tls") from None
    return reader, asyncio.StreamWriter(app_transport, protocol, reader, loop)
