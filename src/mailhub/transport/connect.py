"""Opening a connection the way every hub client must: through ``resolve`` (MAILHUB_RESOLVE), with the
shared verifying TLS context and the *original* host name for certificate checks, and with every low-level
failure turned into a ``TransportFailure`` kind.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

from mailhub.transport.endpoints import client_ssl_context, resolve
from mailhub.transport.errors import TransportFailure

STREAM_LIMIT = 64 * 1024  # longest line we accept; verification replies are short
_TLS_RECORD_TYPES = frozenset({0x14, 0x15, 0x16, 0x17})  # change-cipher-spec, alert, handshake, data


async def open_socket(host: str, port: int, *, timeout: float) -> socket.socket:
    """A connected non-blocking TCP socket to ``host:port`` (after overrides); classifies DNS/refused/timeout."""
    endpoint = resolve(host, port)
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(endpoint.connect_host, endpoint.connect_port, type=socket.SOCK_STREAM), timeout
        )
    except socket.gaierror as exc:
        raise TransportFailure("dns", "connect", detail=f"{endpoint.connect_host}: {exc.strerror}") from None
    except TimeoutError:
        raise TransportFailure("timeout", "connect", detail="name lookup timed out") from None
    failure = TransportFailure("refused", "connect", detail="no address")
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
            return sock
        except TimeoutError:
            failure = TransportFailure("timeout", "connect", detail=f"no answer from {address[0]}:{address[1]}")
        except OSError as exc:  # refused, unreachable, reset: nothing usable listens there
            failure = TransportFailure("refused", "connect", detail=f"{address[0]}:{address[1]}: {exc.strerror}")
        sock.close()
    raise failure


def tls_failure(exc: BaseException, phase: str) -> TransportFailure:
    """The kind of a failed TLS handshake: an untrusted or misnamed certificate, or TLS not spoken at all."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportFailure("tls_untrusted", phase, detail=exc.verify_message or str(exc))
    if isinstance(exc, TimeoutError):
        return TransportFailure("timeout", phase, detail="TLS handshake timed out")
    if isinstance(exc, ssl.SSLError):
        return TransportFailure("tls_handshake", phase, detail=exc.reason or str(exc))
    return TransportFailure("tls_handshake", phase, detail=f"connection ended during TLS handshake ({exc!s})")


async def open_stream(
    sock: socket.socket, *, tls_host: str | None, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams over ``sock``; with ``tls_host`` the TLS handshake runs first and checks that name."""
    context = client_ssl_context() if tls_host else None
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(
                sock=sock,
                ssl=context,
                server_hostname=tls_host,
                ssl_handshake_timeout=timeout if tls_host else None,
                limit=STREAM_LIMIT,
            ),
            timeout,
        )
    except (OSError, TimeoutError, EOFError) as exc:
        sock.close()
        raise tls_failure(exc, "tls") from None


async def start_tls(writer: asyncio.StreamWriter, host: str, *, timeout: float) -> None:
    """Upgrade a plaintext stream after STARTTLS, checking the certificate against ``host``."""
    try:
        await asyncio.wait_for(
            writer.start_tls(client_ssl_context(), server_hostname=host, ssl_handshake_timeout=timeout), timeout
        )
    except (OSError, TimeoutError, EOFError) as exc:
        writer.close()
        raise tls_failure(exc, "starttls") from None


async def _peek(sock: socket.socket, timeout: float) -> bytes | None:
    """The first bytes waiting on ``sock`` without consuming them; ``None`` if silent, ``b""`` if closed."""
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()
    loop.add_reader(sock.fileno(), lambda: readable.done() or readable.set_result(None))
    try:
        await asyncio.wait_for(readable, max(timeout, 0.0))
    except TimeoutError:
        return None
    finally:
        loop.remove_reader(sock.fileno())
    try:
        return sock.recv(16, socket.MSG_PEEK)
    except BlockingIOError:
        return None
    except OSError:
        return b""


async def expect_plaintext_greeting(sock: socket.socket, *, wait: float, timeout: float, nudge: bytes) -> bool:
    """Check that a server we mean to talk plaintext to (before STARTTLS) greets in plaintext.

    A TLS-only port stays silent, waiting for our TLS hello: after ``wait`` seconds we send ``nudge`` and a
    TLS server answers with an alert or hangs up, which is the wrong port. Returns ``True`` when the nudge was
    sent and a plaintext greeting came after all (a slow server): the caller should open a fresh connection.
    """
    data = await _peek(sock, wait)
    nudged = False
    if data is None:
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_sendall(sock, nudge)
        except OSError:
            data = b""
        else:
            nudged = True
            data = await _peek(sock, timeout - wait)
        if data is None:
            raise TransportFailure("timeout", "greeting", detail="the server sent no greeting")
        if not data:
            raise TransportFailure(
                "wrong_port", "greeting", detail="silent until spoken to, then hung up: a TLS-only port?"
            )
    if not data:
        raise TransportFailure("closed", "greeting", detail="the server closed the connection without a greeting")
    if data[0] in _TLS_RECORD_TYPES:
        raise TransportFailure("wrong_port", "greeting", detail="the server speaks TLS here, not plaintext")
    return nudged
