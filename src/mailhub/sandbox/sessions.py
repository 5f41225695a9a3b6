"""Live IMAP/SMTP sessions by the client password that opened them, so revoking one ends them at once."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from mailhub.sandbox.security.decision import Protocol


@dataclass(frozen=True, slots=True)
class LiveSession:
    token: int
    address: str
    protocol: Protocol
    client_password_id: int | None
    close: Callable[[], None]  # called on the event loop; must not block (write BYE/421, then close)


class LiveSessions:
    """In-process registry. Protocol servers register after a successful login and unregister on close."""

    def __init__(self) -> None:
        self._sessions: dict[int, LiveSession] = {}
        self._tokens = itertools.count(1)

    def register(
        self, address: str, protocol: Protocol, client_password_id: int | None, close: Callable[[], None]
    ) -> int:
        token = next(self._tokens)
        self._sessions[token] = LiveSession(token, address, protocol, client_password_id, close)
        return token

    def unregister(self, token: int) -> None:
        self._sessions.pop(token, None)

    def client_password_ids(self) -> set[int]:
        """Ids of the client passwords that have at least one live session."""
        return {s.client_password_id for s in self._sessions.values() if s.client_password_id is not None}

    def revoke(self, client_password_ids: set[int]) -> int:
        """End every session opened with one of these client passwords; returns how many were ended."""
        doomed = [s for s in self._sessions.values() if s.client_password_id in client_password_ids]
        for session in doomed:
            self._sessions.pop(session.token, None)
            session.close()
        return len(doomed)

    def __len__(self) -> int:
        return len(self._sessions)
