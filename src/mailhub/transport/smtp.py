"""The SMTP half of verification, on aiosmtplib: banner, EHLO, STARTTLS when asked, AUTH (PLAIN, else LOGIN).

The TCP connection is ours (``open_socket``, so MAILHUB_RESOLVE applies) and handed to aiosmtplib with the
original host name, so TLS still checks the certificate against the name the user configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import aiosmtplib

from mailhub.transport.connect import expect_plaintext_greeting, open_socket, tls_failure
from mailhub.transport.endpoints import client_ssl_context
from mailhub.transport.errors import TransportFailure
from mailhub.transport.probe import ProbeRecord

LOCAL_NAME = "mailhub.local"  # our EHLO name; never looked up, so 500 checks do not queue on getfqdn()


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {' '.join(exc.message.split())}".strip()


def _connect_failure(exc: BaseException, phase: str) -> TransportFailure:
    """Classify what aiosmtplib raised while connecting: timeouts, TLS problems, a banner that is not SMTP."""
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError):
        return TransportFailure("timeout", phase, detail=str(exc))
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return TransportFailure("closed", "greeting", reply=_reply(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException):  # e.g. "* OK ..." is not an SMTP line
        return TransportFailure("wrong_port", "greeting", reply=exc.message.strip() or None)
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError | TimeoutError):
        return tls_failure(cause, phase)
    return TransportFailure("closed", phase, detail=str(exc))


async def _open(
    host: str, port: int, tls: str, record: ProbeRecord, *, connect_timeout: float, greeting_wait: float
) -> aiosmtplib.SMTP:
    sniff = tls == "starttls"
    for _attempt in range(2):
        record.enter("connect")
        sock = await open_socket(host, port, timeout=connect_timeout)
        if sniff:
            record.enter("greeting")
            try:
                nudged = await expect_plaintext_greeting(
                    sock, wait=greeting_wait, timeout=connect_timeout, nudge=b"NOOP\r\n"
                )
            except TransportFailure:
                sock.close()
                raise
            if nudged:  # a slow plaintext server: our NOOP would confuse the dialogue, start afresh
                sock.close()
                sniff = False
                continue
        return await _handshake(sock, host, tls, record, connect_timeout=connect_timeout)
    raise TransportFailure("protocol", "greeting", detail="could not open a clean session")


async def _handshake(
    sock: socket.socket, host: str, tls: str, record: ProbeRecord, *, connect_timeout: float
) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(
        hostname=host,
        sock=sock,
        use_tls=tls == "ssl",
        start_tls=False,
        tls_context=client_ssl_context(),
        local_hostname=LOCAL_NAME,
        timeout=connect_timeout,
    )
    record.enter("tls" if tls == "ssl" else "greeting")
    try:
        banner = await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        sock.close()
        raise _connect_failure(exc, record.phase) from None
    record.transcript.server(f"{banner.code} {banner.message}")
    client.timeout = None  # later commands (AUTH may be slowed by a server's failure penalty) run under the probe's cap
    return client


async def _ehlo(client: aiosmtplib.SMTP, record: ProbeRecord) -> None:
    record.enter("ehlo")
    record.transcript.client(f"EHLO {LOCAL_NAME}")
    try:
        response = await client.ehlo()
    except aiosmtplib.SMTPResponseException as exc:
        raise TransportFailure("protocol", "ehlo", reply=_reply(exc)) from None
    record.transcript.server(f"{response.code} {' '.join(response.message.split())}")
    record.capabilities = tuple(sorted(name.upper() for name in client.esmtp_extensions))


async def _starttls(client: aiosmtplib.SMTP, host: str, record: ProbeRecord) -> None:
    record.enter("starttls")
    if not client.supports_extension("starttls"):
        raise TransportFailure("starttls_missing", "starttls", detail="the server does not offer STARTTLS")
    record.transcript.client("STARTTLS")
    try:
        response = await client.starttls(server_hostname=host, tls_context=client_ssl_context())
    except aiosmtplib.SMTPResponseException as exc:
        raise TransportFailure("starttls_missing", "starttls", reply=_reply(exc)) from None
    except aiosmtplib.SMTPTimeoutError:
        raise TransportFailure("timeout", "starttls") from None
    except (OSError, aiosmtplib.SMTPException) as exc:
        cause = exc if isinstance(exc, OSError) else (exc.__cause__ or exc)
        raise tls_failure(cause, "starttls") from None
    record.transcript.server(f"{response.code} {response.message}")


async def _authenticate(client: aiosmtplib.SMTP, username: str, password: str, record: ProbeRecord) -> None:
    record.enter("auth")
    methods = [m.lower() for m in client.server_auth_methods]
    if not client.supports_extension("auth") or not ({"plain", "login"} & set(methods)):
        offered = " ".join(methods) or "none"
        raise TransportFailure("auth", "auth", reply=f"AUTH mechanisms offered: {offered} (no password login)")
    mechanism = "plain" if "plain" in methods else "login"
    record.transcript.client(f"AUTH {mechanism.upper()} ***")
    try:
        if mechanism == "plain":
            response = await client.auth_plain(username, password)
        else:
            response = await client.auth_login(username, password)
    except aiosmtplib.SMTPResponseException as exc:
        reply = record.transcript.scrub(_reply(exc))
        record.transcript.server(reply)
        kind = "tls_required" if exc.code == 530 and "TLS" in exc.message.upper() else "auth"
        raise TransportFailure(kind, "auth", reply=reply) from None
    record.transcript.server(f"{response.code} {response.message}")


async def check_smtp(
    record: ProbeRecord,
    *,
    host: str,
    port: int,
    tls: str,
    username: str,
    password: str,
    connect_timeout: float = 5.0,
    greeting_wait: float = 2.0,
) -> None:
    """The SMTP half of verification: connect (implicit TLS or STARTTLS), EHLO, AUTH, QUIT.
    Raises ``TransportFailure`` at the first step that fails."""
    client = await _open(host, port, tls, record, connect_timeout=connect_timeout, greeting_wait=greeting_wait)
    try:
        await _ehlo(client, record)
        if tls == "starttls":
            await _starttls(client, host, record)
            await _ehlo(client, record)
        await _authenticate(client, username, password, record)
        record.enter("done")
        with contextlib.suppress(aiosmtplib.SMTPException, TimeoutError, OSError):
            await asyncio.wait_for(client.quit(), 2.0)
    except aiosmtplib.SMTPServerDisconnected:
        raise TransportFailure("closed", record.phase) from None
    except aiosmtplib.SMTPTimeoutError:
        raise TransportFailure("timeout", record.phase) from None
    finally:
        client.close()
