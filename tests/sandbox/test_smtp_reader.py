"""The SMTP session's reader: SMTP's line limit kept, the connection paused only past a whole message.

aiosmtpd's own reader pauses the connection at 2 × its 1001-byte line limit. Paused that early, what a client
sends next waits in asyncio's TLS layer still encrypted, and a connection reset drops it there
(``SSLProtocol.connection_lost``): a message whose final "." had arrived would be lost with its sender.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from mailhub.sandbox.smtp.protocol import _SessionReader


async def _reader_on_a_real_connection(pause_at: int) -> tuple[_SessionReader, asyncio.Transport, socket.socket]:
    ours, theirs = socket.socketpair()
    reader = _SessionReader(limit=1001, pause_at=pause_at, loop=asyncio.get_running_loop())
    transport, _protocol = await asyncio.get_running_loop().connect_accepted_socket(
        lambda: asyncio.StreamReaderProtocol(reader), ours
    )
    return reader, transport, theirs


async def test_a_whole_message_is_taken_in_without_pausing_the_connection() -> None:
    reader, transport, peer = await _reader_on_a_real_connection(pause_at=1 << 20)
    try:
        reader.feed_data(b"x" * 76 + b"\r\n" * 1 + b"y" * 300_000)
        assert transport.is_reading()  # aiosmtpd's reader would have paused past 2,002 bytes
        reader.feed_data(b"z" * (1 << 20))
        assert not transport.is_reading()  # past a whole message: paused, memory stays bounded
        await reader.readuntil(b"\r\n")
        with pytest.raises(asyncio.LimitOverrunError):  # the SMTP line limit is still the reader's limit
            await reader.readuntil(b"\r\n")
    finally:
        transport.close()
        peer.close()
