"""The event log: every event is a row first (so ``events tail`` and webhooks see it from any process), then
handed to live subscribers in this process (asyncio queues, used by the web UI's server-sent events).

Workers get ``EventLog.publish`` as their ``publish(kind, account_id, data)`` callable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import delete, func, select

from mailhub.store import Store
from mailhub.store.event_models import EventRow, WebhookDeliveryRow
from mailhub.store.models import utcnow

log = logging.getLogger("mailhub.runtime.events")

Publish = Callable[[str, "int | None", dict[str, Any]], None]
SUBSCRIBER_QUEUE = 1000  # a subscriber this far behind starts losing the oldest events (counted in ``dropped``)


@dataclass(frozen=True, slots=True)
class Event:
    """One event as subscribers, ``events tail`` and webhooks see it."""

    id: int
    at: datetime
    kind: str
    account_id: int | None
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (also the body of a webhook delivery)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "account_id": self.account_id,
            "data": self.data,
        }


def kind_matches(patterns: Iterable[str], kind: str) -> bool:
    """Whether ``kind`` is wanted by a filter of kinds or patterns (``account.*``); no patterns = every kind."""
    patterns = tuple(patterns)
    return not patterns or any(fnmatchcase(kind, pattern) for pattern in patterns)


def event_of(row: EventRow) -> Event:
    return Event(row.id, row.at, row.kind, row.account_id, dict(row.data or {}))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Data as JSON will store it (datetimes, tuples, sets become strings and lists), so the live copy and the
    stored copy are the same."""
    return json.loads(json.dumps(data, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Subscription:
    """Live events for one subscriber; iterate it (``async for event in sub``) and ``close()`` when done."""

    def __init__(self, log_: EventLog, account_id: int | None, kinds: tuple[str, ...], maxsize: int) -> None:
        self._log = log_
        self.account_id = account_id
        self.kinds = kinds
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.loop = asyncio.get_running_loop()
        self.dropped = 0

    def wants(self, event: Event) -> bool:
        if self.account_id is not None and event.account_id != self.account_id:
            return False
        return kind_matches(self.kinds, event.kind)

    def offer(self, event: Event) -> None:
        """Queue ``event`` (on the subscriber's loop); a full queue loses its oldest event, never blocks."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
                self.dropped += 1
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self._log.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class EventLog:
    """Publishes events (row, then live fan-out) and reads them back (``since``, ``latest``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._subscribers: list[Subscription] = []
        self._listeners: list[Callable[[Event], None]] = []

    def publish(self, kind: str, account_id: int | None, data: dict[str, Any] | None = None) -> Event:
        """Record an event and hand it to live subscribers and listeners (the ``publish`` workers get)."""
        return self._record(kind, account_id, data or {}, None)

    def publish_status_change(self, change_id: int, account_id: int, data: dict[str, Any]) -> Event:
        """An ``account.status`` event for one status-history row (the supervisor's, so it is reported once)."""
        return self._record("account.status", account_id, data, change_id)

    def _record(self, kind: str, account_id: int | None, data: dict[str, Any], change_id: int | None) -> Event:
        row = EventRow(at=utcnow(), kind=kind, account_id=account_id, data=_jsonable(data), status_change_id=change_id)
        with self.store.session() as session:
            session.add(row)
            session.flush()
            event = event_of(row)
        self._fan_out(event)
        return event

    def _fan_out(self, event: Event) -> None:
        for subscription in tuple(self._subscribers):
            if not subscription.wants(event):
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is subscription.loop:
                subscription.offer(event)
            else:  # published from another thread: queues belong to their loop
                subscription.loop.call_soon_threadsafe(subscription.offer, event)
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not lose the event for everyone else
                log.exception("event listener failed on %s", event.kind)

    # -- live ------------------------------------------------------------------------------------------

    def subscribe(
        self, *, account_id: int | None = None, kinds: Iterable[str] = (), maxsize: int = SUBSCRIBER_QUEUE
    ) -> Subscription:
        """Live events from now on (call inside the event loop that will read them)."""
        subscription = Subscription(self, account_id, tuple(kinds), maxsize)
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(subscription)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` right after each event published in this process (must not block)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    # -- reading back ----------------------------------------------------------------------------------

    def since(self, after_id: int, *, account_id: int | None = None, limit: int = 500) -> list[Event]:
        """Events with an id above ``after_id``, oldest first (a cursor: pass the last id you saw)."""
        query = select(EventRow).where(EventRow.id > after_id).order_by(EventRow.id).limit(limit)
        if account_id is not None:
            query = query.where(EventRow.account_id == account_id)
        with self.store.session() as session:
            return [event_of(row) for row in session.scalars(query)]

    def latest(self, count: int, *, account_id: int | None = None) -> list[Event]:
        """The newest ``count`` events, oldest first."""
        query = select(EventRow).order_by(EventRow.id.desc()).limit(count)
        if account_id is not None:
            query = query.where(EventRow.account_id == account_id)
        with self.store.session() as session:
            rows = list(session.scalars(query))
        return [event_of(row) for row in reversed(rows)]

    def prune(self, older_than: datetime) -> int:
        """Forget events (and webhook delivery records) from before ``older_than``; returns how many events.

        Ids keep growing after a prune (AUTOINCREMENT / sequences), so every cursor stays valid."""
        with self.store.session() as session:
            session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.at < older_than))
            result = session.execute(delete(EventRow).where(EventRow.at < older_than))
            return int(getattr(result, "rowcount", 0) or 0)

    def last_id(self) -> int:
        """The newest event's id (0 when the log is empty)."""
        with self.store.session() as session:
            return int(session.scalar(select(func.max(EventRow.id))) or 0)
