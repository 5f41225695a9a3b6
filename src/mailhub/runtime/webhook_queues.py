"""Delivering events to webhooks: one queue (one task, one HTTP client) per endpoint.

An endpoint's queue is "the events after its ``last_event_id``": delivered in order, each retried on the
backoff schedule, the cursor saved after each event. A slow or failing endpoint only holds back its own
cursor; a restart carries on where each endpoint stopped. Events from other processes are found by a cheap
poll; events published here wake the queues at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select, update

from mailhub.accounts.vault import Secret, VaultError
from mailhub.runtime.events import Event, EventLog, kind_matches
from mailhub.runtime.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Webhooks,
    delivery_body,
    shown_url,
    sign,
)
from mailhub.store.event_models import WebhookDeliveryRow, WebhookEndpointRow
from mailhub.store.models import utcnow

log = logging.getLogger("mailhub.runtime.webhooks")

# Seconds to wait before each retry; after the last one the event is given up (recorded) and the queue moves on.
RETRY_SCHEDULE: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600)
TIMEOUT = 10.0  # one attempt; a slower endpoint counts as failed and is retried
POLL = 1.0  # how often a queue looks for events other processes wrote
BATCH = 100

Sleep = Callable[[float], Awaitable[None]]


class EndpointQueue:
    """One endpoint's queue: its own task, client and cursor, so it delays nobody else."""

    def __init__(
        self,
        endpoint_id: int,
        url: str,
        events: tuple[str, ...],
        secret: Secret,
        log_: EventLog,
        *,
        schedule: tuple[float, ...] = RETRY_SCHEDULE,
        timeout: float = TIMEOUT,
        poll: float = POLL,
    ) -> None:
        self.endpoint_id = endpoint_id
        self.url = url
        self.events = events
        self._secret = secret
        self._log = log_
        self._store = log_.store
        self.schedule = schedule
        self.timeout = timeout
        self.poll = poll
        self._wake = asyncio.Event()

    def __repr__(self) -> str:
        return f"EndpointQueue(endpoint_id={self.endpoint_id!r}, url={shown_url(self.url)!r})"

    def wake(self) -> None:
        self._wake.set()

    def wants(self, event: Event) -> bool:
        return kind_matches(self.events, event.kind)

    async def run_forever(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                cursor = self._cursor()
                if cursor is None:  # the endpoint was deleted
                    return
                batch = self._log.since(cursor, limit=BATCH)
                if not batch:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll)
                    continue
                for event in batch:
                    if self.wants(event) and not await self._deliver(client, event):
                        return
                    self._advance(event.id)

    async def _deliver(self, client: httpx.AsyncClient, event: Event) -> bool:
        """Deliver with retries; False when the endpoint disappeared meanwhile (stop the queue)."""
        attempt = 0
        while True:
            attempt += 1
            ok, status, error, elapsed_ms = await self._post(client, event)
            last = attempt > len(self.schedule)
            outcome = "delivered" if ok else ("gave_up" if last else "retry")
            if not self._record(event.id, attempt, ok, status, error, elapsed_ms, outcome):
                return False
            if ok or last:
                if not ok:
                    log.warning("webhook %s: gave up on event %s (%s attempts)", self.endpoint_id, event.id, attempt)
                return True
            await asyncio.sleep(self.schedule[attempt - 1])

    async def _post(self, client: httpx.AsyncClient, event: Event) -> tuple[bool, int | None, str | None, int]:
        timestamp = int(time.time())
        body = delivery_body(event, timestamp)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: event.kind,
            DELIVERY_HEADER: str(event.id),
            "User-Agent": "mailhub-webhooks",
        }
        started = time.perf_counter()
        try:
            response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            # httpx names the URL in some errors: never keep a password that is part of it.
            text = str(error).replace(self.url, shown_url(self.url))
            return False, None, f"{type(error).__name__}: {text}"[:500], _ms(started)
        ok = 200 <= response.status_code < 300
        return ok, response.status_code, None if ok else f"HTTP {response.status_code}", _ms(started)

    def _cursor(self) -> int | None:
        with self._store.session() as session:
            row = session.get(WebhookEndpointRow, self.endpoint_id)
            return None if row is None or not row.active else row.last_event_id

    def _advance(self, event_id: int) -> None:
        with self._store.session() as session:
            session.execute(
                update(WebhookEndpointRow)
                .where(WebhookEndpointRow.id == self.endpoint_id, WebhookEndpointRow.last_event_id < event_id)
                .values(last_event_id=event_id)
            )

    def _record(
        self, event_id: int, attempt: int, ok: bool, status: int | None, error: str | None, ms: int, outcome: str
    ) -> bool:
        with self._store.session() as session:
            if session.get(WebhookEndpointRow, self.endpoint_id) is None:
                return False
            session.add(
                WebhookDeliveryRow(
                    endpoint_id=self.endpoint_id,
                    event_id=event_id,
                    attempt=attempt,
                    at=utcnow(),
                    ok=ok,
                    status_code=status,
                    error=error,
                    elapsed_ms=ms,
                    outcome=outcome,
                )
            )
        return True


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class WebhookDispatcher:
    """Keeps one ``EndpointQueue`` task per active endpoint, noticing endpoints added or deleted anywhere."""

    def __init__(
        self,
        webhooks: Webhooks,
        log_: EventLog,
        *,
        schedule: tuple[float, ...] = RETRY_SCHEDULE,
        timeout: float = TIMEOUT,
        poll: float = POLL,
    ) -> None:
        self.webhooks = webhooks
        self._log = log_
        self.schedule = schedule
        self.timeout = timeout
        self.poll = poll
        self.queues: dict[int, tuple[EndpointQueue, asyncio.Task[None]]] = {}

    def _on_event(self, event: Event) -> None:
        for queue, _task in self.queues.values():
            if queue.wants(event):
                queue.wake()

    async def run_forever(self) -> None:
        self._log.add_listener(self._on_event)
        try:
            while True:
                try:
                    self.refresh()
                except Exception:  # a database hiccup: the queues that run keep running
                    log.exception("webhooks: looking at the endpoints failed; trying again")
                await asyncio.sleep(self.poll)
        finally:
            self._log.remove_listener(self._on_event)
            await self.stop()

    def refresh(self) -> None:
        """Start queues for new active endpoints; forget finished ones (deleted or deactivated)."""
        with self.webhooks.store.session() as session:
            active = {
                row.id: (row.url, tuple(row.event_filter or ()))
                for row in session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.active.is_(True)))
            }
        for endpoint_id, (_queue, task) in list(self.queues.items()):
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.error("webhook %s: its queue failed; restarting it", endpoint_id, exc_info=task.exception())
            if task.done() or endpoint_id not in active:
                task.cancel()
                del self.queues[endpoint_id]
        for endpoint_id, (url, events) in active.items():
            if endpoint_id in self.queues:
                continue
            try:
                secret = self.webhooks.secret(endpoint_id)
            except VaultError as error:
                log.error("webhook %s: cannot open its secret (%s); not delivering", endpoint_id, error.code)
                continue
            queue = EndpointQueue(
                endpoint_id,
                url,
                events,
                secret,
                self._log,
                schedule=self.schedule,
                timeout=self.timeout,
                poll=self.poll,
            )
            task = asyncio.create_task(queue.run_forever(), name=f"webhook-{endpoint_id}")
            self.queues[endpoint_id] = (queue, task)

    async def stop(self) -> None:
        tasks = [task for _queue, task in self.queues.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.queues.clear()
