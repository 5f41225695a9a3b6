"""Console sign-in state: in-memory sessions with a CSRF token each, and the sign-in rate limit.

Kept in memory on purpose: the console is a local tool served by one process; restarting the sandbox signs
everyone out, which is what a developer expects. Every visitor gets a session (anonymous until sign-in) so
the sign-in forms carry a CSRF token too; signing in replaces the session id (no fixation).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

COOKIE = "console_session"
IDLE_TIMEOUT = 8 * 3600  # seconds a session lives without a request
MAX_SESSIONS = 10_000  # oldest are dropped beyond this, so anonymous visits cannot fill memory

Role = Literal["anonymous", "admin", "user"]


@dataclass(slots=True)
class Session:
    """One browser. ``subject`` is the admin's domain or the user's address; ``flash`` holds one-shot notices
    as message keys (never a secret: the client password is rendered in the creating response only)."""

    id: str
    csrf: str
    role: Role = "anonymous"
    subject: str = ""
    last_seen: float = 0.0
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind, message key)

    def __repr__(self) -> str:  # the id and token are bearer secrets
        return f"Session(role={self.role!r}, subject={self.subject!r})"


class SessionStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str | None) -> Session | None:
        """The live session for a cookie value, or None (unknown or idle too long)."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        now = self._clock()
        if session is None or now - session.last_seen > IDLE_TIMEOUT:
            self._sessions.pop(session_id, None)
            return None
        session.last_seen = now
        self._sessions.move_to_end(session_id)
        return session

    def new(self, role: Role = "anonymous", subject: str = "") -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), role, subject, self._clock())
        self._sessions[session.id] = session
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def sign_in(self, old: Session, role: Role, subject: str) -> Session:
        """A fresh session (new id, new CSRF token) for the signed-in person; the old one ends."""
        self._sessions.pop(old.id, None)
        return self.new(role, subject)

    def end(self, session: Session) -> Session:
        """Sign out: the session ends and the browser continues with a new anonymous one."""
        self._sessions.pop(session.id, None)
        return self.new()


class SignInLimiter:
    """At most ``limit`` failed sign-ins per (client IP, account) and ``4 * limit`` per IP in ``window``
    seconds; a success clears the account's count. Over the limit every try is refused, right or wrong."""

    def __init__(self, limit: int = 5, window: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        cutoff = self._clock() - self.window
        while stamps and stamps[0] < cutoff:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def blocked(self, ip: str, account: str) -> bool:
        account = account.strip().lower()
        return len(self._recent((ip, account))) >= self.limit or len(self._recent((ip, ""))) >= 4 * self.limit

    def failed(self, ip: str, account: str) -> None:
        now = self._clock()
        for key in ((ip, account.strip().lower()), (ip, "")):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, ip: str, account: str) -> None:
        self._failures.pop((ip, account.strip().lower()), None)
