"""Verify a mailbox the way a mail client would: IMAP (login, ID, LIST, SELECT INBOX) and SMTP (EHLO, AUTH)
side by side, each under its own timeouts, the whole under a 15 s cap. Raw replies are kept for diagnosis;
the password never is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mailhub.catalog import MailSettings
from mailhub.transport.imap import check_imap
from mailhub.transport.probe import ProbeRecord, ProbeResult, run_probe
from mailhub.transport.smtp import check_smtp

__all__ = ["ProbeResult", "Verification", "verify_mailbox"]

CONNECT_TIMEOUT = 5.0
TOTAL_CAP = 15.0
GREETING_WAIT = 2.0


@dataclass(frozen=True, slots=True)
class Verification:
    """Both checks; ``ok`` only when IMAP and SMTP both succeeded."""

    imap: ProbeResult
    smtp: ProbeResult
    ok: bool

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "imap": _probe_dict(self.imap), "smtp": _probe_dict(self.smtp)}


def _probe_dict(probe: ProbeResult) -> dict[str, object]:
    return {
        "protocol": probe.protocol,
        "ok": probe.ok,
        "phase": probe.phase,
        "failure": probe.failure,
        "reply": probe.reply,
        "detail": probe.detail,
        "elapsed_ms": probe.elapsed_ms,
        "transcript": list(probe.transcript),
    }


async def verify_mailbox(
    settings: MailSettings,
    password: str,
    *,
    provider_id: str | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    timeout: float = TOTAL_CAP,
    greeting_wait: float = GREETING_WAIT,
) -> Verification:
    """Check IMAP and SMTP at once with ``settings`` and ``password``; never raises for a server's answer.

    ``provider_id`` is accepted so callers can pass what detection found (logging/diagnosis use it); the
    checks themselves are the same for every provider: ID is sent whenever the server offers it.
    """
    del provider_id  # the wire dialogue is provider-neutral; diagnosis is where providers differ
    cap = min(timeout, TOTAL_CAP)
    secrets = (password,)

    async def imap(record: ProbeRecord) -> None:
        server = settings.imap
        await check_imap(
            record,
            host=server.host,
            port=server.port,
            tls=server.tls,
            username=settings.username,
            password=password,
            connect_timeout=connect_timeout,
            greeting_wait=greeting_wait,
        )

    async def smtp(record: ProbeRecord) -> None:
        server = settings.smtp
        await check_smtp(
            record,
            host=server.host,
            port=server.port,
            tls=server.tls,
            username=settings.username,
            password=password,
            connect_timeout=connect_timeout,
            greeting_wait=greeting_wait,
        )

    imap_result, smtp_result = await asyncio.gather(
        run_probe("imap", imap, timeout=cap, secrets=secrets),
        run_probe("smtp", smtp, timeout=cap, secrets=secrets),
    )
    return Verification(imap_result, smtp_result, imap_result.ok and smtp_result.ok)
