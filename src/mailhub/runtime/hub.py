"""Everything ``mailhub serve`` runs besides the HTTP app, wired together: the event log, the supervisor,
the webhook queues and the health checks, over one store and one vault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from mailhub.accounts.service import AccountService
from mailhub.runtime.events import EventLog
from mailhub.runtime.health import INTERVAL, HealthCheck
from mailhub.runtime.supervisor import POLL, PROBE, Supervisor
from mailhub.runtime.webhook_queues import RETRY_SCHEDULE, WebhookDispatcher
from mailhub.runtime.webhooks import Webhooks
from mailhub.runtime.workers import CRASH_PAUSES, WorkerFactory, account_workers
from mailhub.store.models import utcnow

log = logging.getLogger("mailhub.runtime")

KEEP_EVENTS = timedelta(days=30)
PRUNE_EVERY = 3600.0


class Runtime:
    """The running hub: ``await runtime.run()`` until cancelled (then every worker is stopped)."""

    def __init__(
        self,
        service: AccountService,
        *,
        workers: WorkerFactory = account_workers,
        poll: float = POLL,
        probe: float = PROBE,
        health_interval: float = INTERVAL,
        webhook_schedule: tuple[float, ...] = RETRY_SCHEDULE,
        webhook_timeout: float | None = None,
        crash_pauses: tuple[float, ...] = CRASH_PAUSES,
    ) -> None:
        self.service = service
        self.store = service.store
        self.events = EventLog(self.store)
        self.supervisor = Supervisor(
            self.store, service.vault, self.events, workers=workers, poll=poll, probe=probe, crash_pauses=crash_pauses
        )
        self.webhooks = Webhooks(self.store, service.vault)
        options: dict[str, Any] = {"schedule": webhook_schedule}
        if webhook_timeout is not None:
            options["timeout"] = webhook_timeout
        self.dispatcher = WebhookDispatcher(self.webhooks, self.events, **options)
        self.health = HealthCheck(self.supervisor, service, interval=health_interval)
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"Runtime({self.supervisor!r})"

    @property
    def publish(self):
        """The ``publish`` for code running beside the workers (API handlers): same as the workers get."""
        return self.supervisor.publish

    async def run(self) -> None:
        """Run the supervisor, webhook queues and health checks; if one fails, stop the rest and raise."""
        self._tasks = [
            asyncio.create_task(self.supervisor.run_forever(), name="supervisor"),
            asyncio.create_task(self.dispatcher.run_forever(), name="webhooks"),
            asyncio.create_task(self.health.run_forever(), name="health"),
            asyncio.create_task(self._prune_forever(), name="prune"),
        ]
        try:
            done, _pending = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _prune_forever(self) -> None:
        """Keep the event log to ``KEEP_EVENTS`` (checked hourly), so a long run stays small."""
        while True:
            try:
                pruned = self.events.prune(utcnow() - KEEP_EVENTS)
                if pruned:
                    log.info("pruned %d events older than %s", pruned, KEEP_EVENTS)
            except Exception:  # a busy database now is fine next hour
                log.exception("pruning the event log failed")
            await asyncio.sleep(PRUNE_EVERY)

    def status(self) -> dict[str, Any]:
        """What runs now: accounts with their live workers, webhook queues."""
        return {
            "accounts": {str(aid): names for aid, names in self.supervisor.running().items()},
            "webhooks": sorted(self.dispatcher.queues),
        }
