"""The outcome of checking one protocol of one mailbox, and the record a check keeps while it runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mailhub.transport.errors import TransportFailure
from mailhub.transport.transcript import Transcript


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one protocol check found. ``reply`` is the server's raw words at the failure (never the secret);
    ``failure`` is a ``TransportFailure`` kind or ``None`` when ``ok``."""

    protocol: str  # "imap" | "smtp"
    ok: bool
    phase: str  # the last phase reached: connect, tls, greeting, starttls, capability, login, id, list, select, ...
    failure: str | None = None
    reply: str | None = None
    detail: str | None = None
    transcript: list[str] = field(default_factory=list, repr=False)
    elapsed_ms: int = 0
    capabilities: tuple[str, ...] = field(default=(), repr=False)


@dataclass(slots=True)
class ProbeRecord:
    """What a running check has done so far: the phase it is in, the transcript, the capabilities seen."""

    transcript: Transcript = field(default_factory=Transcript)
    phase: str = "connect"
    capabilities: tuple[str, ...] = ()

    def enter(self, phase: str) -> None:
        self.phase = phase


async def run_probe(
    protocol: str,
    check: Callable[[ProbeRecord], Awaitable[None]],
    *,
    timeout: float,
    secrets: tuple[str, ...] = (),
) -> ProbeResult:
    """Run ``check`` under an overall ``timeout`` and turn whatever happens into a ``ProbeResult``."""
    record = ProbeRecord()
    for secret in secrets:
        record.transcript.add_secret(secret)
    started = time.monotonic()
    failure: TransportFailure | None = None
    try:
        await asyncio.wait_for(check(record), timeout)
    except TransportFailure as exc:
        failure = exc
    except TimeoutError:
        failure = TransportFailure("timeout", record.phase, detail=f"no answer within {timeout:g} s")
    except (ConnectionError, EOFError, asyncio.IncompleteReadError) as exc:
        failure = TransportFailure("closed", record.phase, detail=type(exc).__name__)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    scrub = record.transcript.scrub
    if failure is None:
        return ProbeResult(
            protocol,
            True,
            record.phase,
            transcript=list(record.transcript.lines),
            elapsed_ms=elapsed_ms,
            capabilities=record.capabilities,
        )
    return ProbeResult(
        protocol,
        False,
        failure.phase,
        failure=failure.kind,
        reply=scrub(failure.reply) if failure.reply else None,
        detail=scrub(failure.detail) if failure.detail else None,
        transcript=list(record.transcript.lines),
        elapsed_ms=elapsed_ms,
        capabilities=record.capabilities,
    )
