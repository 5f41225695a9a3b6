"""Where a host:port really is, and which certificate authorities we trust.

``MAILHUB_RESOLVE="imap.qiye.aliyun.com:993=127.0.0.1:19993,..."`` points a real provider's host at a local
server (the sandbox, Dovecot) while TLS still checks the certificate against the *original* host name.
``MAILHUB_CA_FILE`` adds a CA (e.g. the sandbox's) to the system trust store.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to open the TCP connection (``connect_host:connect_port``) for ``host:port``."""

    host: str
    port: int
    connect_host: str
    connect_port: int


def _parse_overrides(spec: str) -> dict[tuple[str, int], tuple[str, int]]:
    overrides: dict[tuple[str, int], tuple[str, int]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        source, _, target = item.partition("=")
        src_host, _, src_port = source.rpartition(":")
        dst_host, _, dst_port = target.rpartition(":")
        if not (src_host and src_port.isdigit() and dst_host and dst_port.isdigit()):
            raise ValueError(f"MAILHUB_RESOLVE entry {item!r} is not host:port=ip:port")
        overrides[(src_host.lower(), int(src_port))] = (dst_host, int(dst_port))
    return overrides


def resolve(host: str, port: int) -> Endpoint:
    """The endpoint for ``host:port`` after ``MAILHUB_RESOLVE`` overrides (read at each call: tests set it)."""
    target = _parse_overrides(os.environ.get("MAILHUB_RESOLVE", "")).get((host.lower(), port))
    if target is None:
        return Endpoint(host, port, host, port)
    return Endpoint(host, port, target[0], target[1])


@cache
def _client_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def client_ssl_context() -> ssl.SSLContext:
    """A verifying client TLS context: system CAs plus ``MAILHUB_CA_FILE`` when set. Shared, so cheap."""
    return _client_context(os.environ.get("MAILHUB_CA_FILE") or None)
