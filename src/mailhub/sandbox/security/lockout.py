"""Login lockout: 5 failed logins for one username from one IP within 10 minutes lock that pair for
10 minutes.

Decisions (documented for the hub's diagnosis and for tests):
- only credential failures count (bare local part, unknown user, bad password): a refusal by policy proves
  the secret was right, so counting it would protect nothing and would lock out a user whose admin has not
  yet switched the policy on;
- while locked, every attempt is refused, even with the right secret (the check runs before credentials);
  refused attempts during the lock are audited but neither count nor extend it;
- a success neither erases the window's failures nor unlocks: 4 failures, a success and 1 failure lock;
- when the lock starts the pair's failures are cleared, so after 10 minutes the count starts from zero.
The username is keyed as typed (trimmed, lower-cased), before any lookup, so unknown names lock too.
"""

from __future__ import annotations

import sqlite3

from mailhub.sandbox import db

MAX_FAILURES = 5
WINDOW = 10 * 60  # seconds in which failures add up
LOCK_FOR = 10 * 60  # seconds a locked pair stays refused

DDL = """
CREATE TABLE IF NOT EXISTS security_login_failures (
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS security_login_failures_pair ON security_login_failures(username, ip, at);
CREATE TABLE IF NOT EXISTS security_lockouts (
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    locked_until REAL NOT NULL,
    PRIMARY KEY (username, ip)
);
"""


def key(username: str) -> str:
    return username.strip().lower()[:320]


class Lockout:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    def locked(self, username: str, ip: str, now: float) -> bool:
        row = self._conn.execute(
            "SELECT locked_until FROM security_lockouts WHERE username = ? AND ip = ?", (key(username), ip)
        ).fetchone()
        return row is not None and now < row["locked_until"]

    def prune(self, conn: sqlite3.Connection, now: float) -> None:
        """Forget failures out of every window and locks that ended (pairs never seen again included)."""
        conn.execute("DELETE FROM security_login_failures WHERE at <= ?", (now - WINDOW,))
        conn.execute("DELETE FROM security_lockouts WHERE locked_until <= ?", (now,))

    def record_failure(self, conn: sqlite3.Connection, username: str, ip: str, now: float) -> bool:
        """Inside the caller's transaction: count one failure; returns True when it starts a lock."""
        name = key(username)
        conn.execute(
            "DELETE FROM security_login_failures WHERE username = ? AND ip = ? AND at <= ?",
            (name, ip, now - WINDOW),
        )
        conn.execute("INSERT INTO security_login_failures (username, ip, at) VALUES (?, ?, ?)", (name, ip, now))
        count = conn.execute(
            "SELECT COUNT(*) FROM security_login_failures WHERE username = ? AND ip = ?", (name, ip)
        ).fetchone()[0]
        if count < MAX_FAILURES:
            return False
        conn.execute(
            "INSERT INTO security_lockouts (username, ip, locked_until) VALUES (?, ?, ?) "
            "ON CONFLICT(username, ip) DO UPDATE SET locked_until = excluded.locked_until",
            (name, ip, now + LOCK_FOR),
        )
        conn.execute("DELETE FROM security_login_failures WHERE username = ? AND ip = ?", (name, ip))
        return True
