"""The trace headers a real MTA adds (RFC 5321 §4.4): ``Received`` on every hop, ``Return-Path`` on delivery."""

from __future__ import annotations

import secrets
from email.utils import format_datetime, localtime


def received_header(*, helo: str | None, peer_ip: str, by_host: str, recipients: list[str], smtputf8: bool) -> bytes:
    """``Received: from ... by ... with ESMTPSA id ...; date`` for a TLS-protected, authenticated submission.

    ESMTPSA (RFC 3848) says TLS + AUTH; UTF8SMTPSA (RFC 6531) when the client used SMTPUTF8.
    ``for <rcpt>`` is written only for a single recipient, as Postfix does, so Bcc stays private."""
    protocol = "UTF8SMTPSA" if smtputf8 else "ESMTPSA"
    helo_name = _printable(helo or "unknown")
    for_clause = f"\r\n\tfor <{recipients[0]}>" if len(recipients) == 1 else ""
    line = (
        f"Received: from {helo_name} ([{peer_ip}])\r\n"
        f"\tby {by_host} (mailhub sandbox) with {protocol} id {secrets.token_hex(6)}{for_clause};\r\n"
        f"\t{format_datetime(localtime())}\r\n"
    )
    return line.encode("utf-8", "surrogateescape")


def return_path_header(mail_from: str) -> bytes:
    """``Return-Path: <sender>``, added by the final delivery only."""
    return f"Return-Path: <{mail_from}>\r\n".encode("utf-8", "surrogateescape")


def _printable(text: str) -> str:
    """A client-chosen HELO name, stripped of anything that could break the header (CR, LF, controls)."""
    cleaned = "".join(ch for ch in text if ch.isprintable() and ch not in "()")
    return cleaned[:255] or "unknown"
