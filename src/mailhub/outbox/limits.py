"""How fast an account may send: messages per minute and per day.

Defaults come from the catalog's published limits; where a provider publishes none (Alibaba says limits
exist but not their numbers) we stay well under what such services tolerate. A person can set their own
per account (``set_limits``); a NULL number means "no limit".
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from mailhub.catalog import load_catalog
from mailhub.outbox.entries import as_utc
from mailhub.store import AccountRow, Store
from mailhub.store.models import utcnow
from mailhub.store.outbox_models import OutboxMessageRow, SendingLimitRow

# When the provider publishes nothing: unpublished limits are the ones that get accounts flagged.
FALLBACK_PER_MINUTE = 20
FALLBACK_PER_DAY = 500
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class SendingLimit:
    """At most ``per_minute`` messages in any 60 s and ``per_day`` in any 24 h (``None`` = unlimited)."""

    per_minute: int | None
    per_day: int | None
    source: str = "catalog"  # "catalog", "fallback" or "account"


def catalog_limit(provider_id: str | None) -> SendingLimit:
    """The provider's published limits, filled in with the fallback where it published none."""
    provider = load_catalog().get(provider_id) if provider_id else None
    published = provider.limits if provider else None
    per_minute = published.per_minute if published else None
    per_day = published.per_day if published else None
    source = "catalog" if (per_minute or per_day) else "fallback"
    return SendingLimit(per_minute or FALLBACK_PER_MINUTE, per_day or FALLBACK_PER_DAY, source)


def limit_for(store: Store, account_id: int) -> SendingLimit:
    """The limits this account sends under: its own if set, else the catalog's."""
    with store.session() as session:
        own = session.get(SendingLimitRow, account_id)
        if own is not None:
            return SendingLimit(own.per_minute, own.per_day, "account")
        provider_id = session.scalar(select(AccountRow.provider_id).where(AccountRow.id == account_id))
    return catalog_limit(provider_id)


def set_limits(store: Store, account_id: int, *, per_minute: int | None, per_day: int | None) -> SendingLimit:
    """Give the account its own limits (``None`` = no limit)."""
    with store.session() as session:
        row = session.get(SendingLimitRow, account_id)
        if row is None:
            row = SendingLimitRow(account_id=account_id)
            session.add(row)
        row.per_minute, row.per_day = per_minute, per_day
    return SendingLimit(per_minute, per_day, "account")


def reset_limits(store: Store, account_id: int) -> None:
    """Back to the catalog's defaults."""
    with store.session() as session:
        row = session.get(SendingLimitRow, account_id)
        if row is not None:
            session.delete(row)


class RateWindow:
    """The sends of the last minute and day, in memory, seeded from the store when a worker starts.

    A message being sent holds a place (``reserve``) until it is settled, so several connections never
    overshoot a limit together. ``minute`` is the length of a rate minute in seconds: 60, except in tests
    that cannot wait minutes.
    """

    def __init__(self, limit: SendingLimit, recent: list[float], *, minute: float = 60.0) -> None:
        self.limit = limit
        self.minute = minute
        self.in_flight = 0
        self._day: deque[float] = deque(sorted(recent))
        self._minute: deque[float] = deque(t for t in self._day if t > time.time() - minute)

    @classmethod
    def load(cls, store: Store, account_id: int, limit: SendingLimit, *, minute: float = 60.0) -> RateWindow:
        since = utcnow() - timedelta(seconds=DAY)
        with store.session() as session:
            rows = session.scalars(
                select(OutboxMessageRow.sent_at).where(
                    OutboxMessageRow.account_id == account_id, OutboxMessageRow.sent_at >= since
                )
            )
            recent = [_epoch(value) for value in rows if value is not None]
        return cls(limit, recent, minute=minute)

    def _expire(self, now: float) -> None:
        while self._minute and self._minute[0] <= now - self.minute:
            self._minute.popleft()
        while self._day and self._day[0] <= now - DAY:
            self._day.popleft()

    def wait(self, now: float | None = None) -> float:
        """Seconds until one more message may go (0 = now)."""
        now = time.time() if now is None else now
        self._expire(now)
        delay = 0.0
        per_minute = self.limit.per_minute
        if per_minute is not None and len(self._minute) + self.in_flight >= per_minute:
            index = len(self._minute) + self.in_flight - per_minute
            delay = self._minute[index] + self.minute - now if index < len(self._minute) else self.minute
        return max(delay, 0.0)

    def day_exhausted(self, now: float | None = None) -> bool:
        """True when the daily quota is used up (the worker stops rather than sleeping for hours)."""
        self._expire(time.time() if now is None else now)
        per_day = self.limit.per_day
        return per_day is not None and len(self._day) + self.in_flight >= per_day

    def reserve(self) -> None:
        self.in_flight += 1

    def settle(self, sent_at: float | None) -> None:
        """The reserved message went (at ``sent_at``) or did not (``None``)."""
        self.in_flight -= 1
        if sent_at is not None:
            self._minute.append(sent_at)
            self._day.append(sent_at)


def _epoch(value: datetime) -> float:
    return (as_utc(value) or value).timestamp()


def sent_today(store: Store, account_id: int) -> int:
    """Messages this account sent in the last 24 hours."""
    since = utcnow() - timedelta(seconds=DAY)
    with store.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(OutboxMessageRow.account_id == account_id, OutboxMessageRow.sent_at >= since)
            )
            or 0
        )
