"""DNS for detection: the resolver (``MAILHUB_NAMESERVER=host:port`` points it at a chosen server) and where to
open a TCP connection for a host name (``MAILHUB_RESOLVE`` first, then DNS)."""

from __future__ import annotations

import os

import dns.asyncresolver
import dns.exception
import dns.resolver

from mailhub.transport.endpoints import resolve


class LookupFailed(Exception):
    """One detection lookup found nothing usable; the message says why (shown in ``Lookup.detail``)."""


def nameserver() -> tuple[str, int] | None:
    """``MAILHUB_NAMESERVER`` as (ip, port), or None for the system's resolver configuration."""
    spec = os.environ.get("MAILHUB_NAMESERVER", "").strip()
    if not spec:
        return None
    host, _, port = spec.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"MAILHUB_NAMESERVER={spec!r} is not host:port")
    return host.strip("[]"), int(port)


def make_resolver(timeout: float) -> dns.asyncresolver.Resolver:
    """An async resolver whose every query gives up after ``timeout`` seconds."""
    chosen = nameserver()
    if chosen is None:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.asyncresolver.Resolver(configure=False)
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [chosen[0]]
        resolver.port = chosen[1]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def describe(error: Exception) -> str:
    """A short, stable description of a DNS failure."""
    if isinstance(error, dns.resolver.NXDOMAIN):
        return "no such domain (NXDOMAIN)"
    if isinstance(error, dns.resolver.NoAnswer):
        return "no record of that type"
    if isinstance(error, dns.exception.Timeout):
        return "DNS timeout"
    if isinstance(error, dns.resolver.NoNameservers):
        return "no name server answered (SERVFAIL or refused)"
    return f"DNS error: {type(error).__name__}"


async def query(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> dns.resolver.Answer:
    """The answer for ``name``/``rdtype``; raises ``LookupFailed`` with a readable reason."""
    try:
        return await resolver.resolve(name, rdtype, search=False)
    except (dns.exception.DNSException, OSError) as error:
        raise LookupFailed(f"{rdtype} {name}: {describe(error)}") from None


async def connect_address(resolver: dns.asyncresolver.Resolver, host: str, port: int) -> tuple[str, int]:
    """Where to connect for ``host:port``: a ``MAILHUB_RESOLVE`` override, else (when ``MAILHUB_NAMESERVER`` is
    set) the host's A record from that server, else the name itself for the system resolver."""
    endpoint = resolve(host, port)
    if (endpoint.connect_host, endpoint.connect_port) != (host, port):
        return endpoint.connect_host, endpoint.connect_port
    if nameserver() is None:
        return host, port
    answer = await query(resolver, host, "A")
    return answer[0].address, port
