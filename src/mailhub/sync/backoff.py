"""How long a worker waits before it reconnects: exponential with jitter for network trouble, and a slow
fixed ladder after a refused login, so a provider never locks an account for too many failed logins.

The clock and the sleep are injected (``Timing``): tests run a 10-minute schedule in no time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# After a refused login: 5 min, 15 min, then hourly. Even a provider that locks after 3 failures an hour
# (the strictest we know of) never sees more than that from us.
AUTH_RETRY_SCHEDULE: tuple[float, ...] = (300.0, 900.0, 3600.0)
_SHARED_RNG = random.Random()  # one generator for every worker: each Random holds 2.5 KB of state


@dataclass(slots=True)
class Timing:
    """Where a worker gets the time from and how it waits; real by default."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with full jitter: ``first * 2**n`` capped at ``cap``, a random part of it taken.

    ``reset_after`` seconds of a stable connection forget earlier failures (a flapping link stays slowed).
    """

    first: float = 1.0
    cap: float = 300.0
    reset_after: float = 60.0
    jitter: float = 0.5  # the fraction of each delay that is random
    rng: random.Random = _SHARED_RNG
    failures: int = 0

    def next_delay(self) -> float:
        """The wait before the next attempt (and one more failure counted)."""
        base = min(self.cap, self.first * (2**self.failures))
        self.failures += 1
        return base * (1 - self.jitter) + base * self.jitter * self.rng.random()

    def connected_for(self, seconds: float) -> None:
        """A connection ended after ``seconds``; a long enough one means the trouble is over."""
        if seconds >= self.reset_after:
            self.failures = 0


@dataclass(slots=True)
class AuthRetry:
    """The ladder after refused logins: each refusal moves one step down ``schedule`` (the last repeats)."""

    schedule: tuple[float, ...] = AUTH_RETRY_SCHEDULE
    refusals: int = 0

    def next_delay(self) -> float:
        delay = self.schedule[min(self.refusals, len(self.schedule) - 1)]
        self.refusals += 1
        return delay

    def reset(self) -> None:
        self.refusals = 0
