"""Periodic health checks: an account shown as 正常 whose worker cannot keep a session is verified again, so
its status (and diagnosis) says what is really happening. Plus ``/healthz`` when the full app is missing.

Cheap on purpose: nothing logs in for a healthy account (a healthy worker holds one IDLE session and makes
no new logins); only an account whose sync worker stopped, or keeps reconnecting with an error, costs one
IMAP + SMTP verification, at most once per ``interval``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from mailhub.accounts.status import AccountStatus
from mailhub.runtime.supervisor import Supervisor
from mailhub.runtime.workers import WorkerSet

log = logging.getLogger("mailhub.runtime.health")

INTERVAL = 600.0  # seconds between checks
RECONNECTS = 2  # this many logins within one interval, with an error, is "cannot keep a session"
CONCURRENT_CHECKS = 4


@dataclass(frozen=True, slots=True)
class HealthFinding:
    """Why an account is verified again."""

    account_id: int
    reason: str  # "worker_stopped" | "reconnecting"
    detail: str | None = None


def findings(supervisor: Supervisor, statuses: dict[int, str], window: float) -> list[HealthFinding]:
    """The 正常 accounts whose workers are not holding a session (see the module docstring)."""
    found: list[HealthFinding] = []
    for account_id, status in statuses.items():
        if status != AccountStatus.NORMAL.value:
            continue
        worker_set = supervisor.sets.get(account_id)
        if worker_set is None:
            continue
        finding = _finding(worker_set, window)
        if finding is not None:
            found.append(finding)
    return found


def _finding(worker_set: WorkerSet, window: float) -> HealthFinding | None:
    task = worker_set.tasks.get("sync")
    if task is not None and task.done():
        return HealthFinding(worker_set.account_id, "worker_stopped")
    sync = worker_set.workers.get("sync")
    attempts: list[float] = list(getattr(sync, "login_attempts", ()) or ())
    error: str | None = getattr(sync, "last_error", None)
    timing = getattr(sync, "timing", None)
    if not attempts or error is None or timing is None:
        return None
    now = timing.clock()
    recent = [at for at in attempts if now - at <= window]
    if len(recent) >= RECONNECTS:
        return HealthFinding(worker_set.account_id, "reconnecting", error[:200])
    return None


class HealthCheck:
    """Every ``interval`` seconds: find struggling 正常 accounts and verify them (status follows the result)."""

    def __init__(self, supervisor: Supervisor, service: Any, *, interval: float = INTERVAL) -> None:
        self.supervisor = supervisor
        self.service = service  # an AccountService: ``verify(account_id)`` records the outcome and status
        self.interval = interval
        self._gate = asyncio.Semaphore(CONCURRENT_CHECKS)

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check_once()
            except Exception:  # a failed round must not end the checks
                log.exception("health check round failed")

    async def check_once(self) -> list[HealthFinding]:
        """One round; returns what it found (each found account was verified)."""
        statuses = {a.id: a.status.value for a in self.service.list()}
        found = findings(self.supervisor, statuses, self.interval)
        await asyncio.gather(*(self._verify(f) for f in found))
        return found

    async def _verify(self, finding: HealthFinding) -> None:
        async with self._gate:
            log.info("account %s: verifying again (%s)", finding.account_id, finding.reason)
            self.supervisor.events.publish(
                "health.check", finding.account_id, {"reason": finding.reason, "detail": finding.detail}
            )
            try:
                await self.service.verify(finding.account_id)
            except Exception:
                log.exception("account %s: health verification failed", finding.account_id)
            self.supervisor.poke()


def minimal_app() -> Any:
    """A FastAPI app with only ``GET /healthz``: what ``serve`` runs when ``mailhub.app`` is not there."""
    from fastapi import FastAPI

    app = FastAPI(title="mailhub", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app
