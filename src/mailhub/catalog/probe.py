"""Detection by probing, the last resort: connect to ``imap.<domain>`` / ``mail.<domain>`` (993, 143) and
``smtp.<domain>`` / ``mail.<domain>`` (465, 587) and read the greeting."""

from __future__ import annotations

import asyncio
import ssl

from mailhub.catalog.dnslookup import LookupFailed, connect_address
from mailhub.catalog.found import Found, LookupContext
from mailhub.catalog.model import MailSettings, ServerSettings, Tls
from mailhub.transport.endpoints import client_ssl_context

_IMAP_PORTS: tuple[tuple[int, Tls], ...] = ((993, "ssl"), (143, "starttls"))
_SMTP_PORTS: tuple[tuple[int, Tls], ...] = ((465, "ssl"), (587, "starttls"))
# Each connection gets a share of the lookup's bound, so one candidate that hangs cannot hide another's greeting.
CONNECT_SHARE = 0.8


def candidates(domain: str) -> tuple[list[ServerSettings], list[ServerSettings]]:
    """IMAP and SMTP servers to try, best first (implicit TLS before STARTTLS, the protocol's name first)."""
    imap = [ServerSettings(f"{name}.{domain}", port, tls) for port, tls in _IMAP_PORTS for name in ("imap", "mail")]
    smtp = [ServerSettings(f"{name}.{domain}", port, tls) for port, tls in _SMTP_PORTS for name in ("smtp", "mail")]
    return imap, smtp


async def greet(context: LookupContext, server: ServerSettings, expected: bytes) -> str:
    """The server's first line when it starts with ``expected``; TLS (implicit) is verified against the host."""
    connect_host, connect_port = await connect_address(context.resolver, server.host, server.port)
    tls_context: ssl.SSLContext | None = client_ssl_context() if server.tls == "ssl" else None
    where = f"{server.host}:{server.port}"
    try:
        reader, writer = await asyncio.open_connection(
            connect_host, connect_port, ssl=tls_context, server_hostname=server.host if tls_context else None
        )
    except ssl.SSLError as error:
        raise LookupFailed(f"{where}: TLS failed ({error.reason or type(error).__name__})") from None
    except OSError as error:
        raise LookupFailed(f"{where}: {error.strerror or type(error).__name__}") from None
    try:
        line = await reader.readline()
    finally:
        writer.close()
    if not line.startswith(expected):
        raise LookupFailed(f"{where}: unexpected greeting {line[:60]!r}")
    return line.decode("utf-8", "replace").strip()


async def _bounded_greet(context: LookupContext, server: ServerSettings, expected: bytes) -> str:
    seconds = context.timeout * CONNECT_SHARE
    try:
        async with asyncio.timeout(seconds):
            return await greet(context, server, expected)
    except TimeoutError:
        raise LookupFailed(f"{server.host}:{server.port}: no answer within {seconds:.1f} s") from None


async def _first(context: LookupContext, servers: list[ServerSettings], expected: bytes) -> ServerSettings:
    results = await asyncio.gather(*(_bounded_greet(context, s, expected) for s in servers), return_exceptions=True)
    for server, result in zip(servers, results, strict=True):
        if isinstance(result, str):
            return server
    raise LookupFailed("; ".join(str(r) for r in results))


async def find_by_probe(context: LookupContext) -> Found:
    """The best IMAP and SMTP servers that answered with a greeting."""
    imap_candidates, smtp_candidates = candidates(context.address.domain)
    imap, smtp = await asyncio.gather(
        _first(context, imap_candidates, b"* OK"), _first(context, smtp_candidates, b"220"), return_exceptions=True
    )
    if isinstance(imap, BaseException) or isinstance(smtp, BaseException):
        failures = [str(r) for r in (imap, smtp) if isinstance(r, BaseException)]
        raise LookupFailed("; ".join(failures))
    settings = MailSettings(imap=imap, smtp=smtp, username=str(context.address))
    provider = context.catalog.by_host(imap.host)
    return Found(settings, provider, f"greeted by IMAP {imap.host}:{imap.port} and SMTP {smtp.host}:{smtp.port}")
