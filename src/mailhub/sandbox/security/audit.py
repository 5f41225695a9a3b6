"""The login audit log: every attempt through the gate, allowed or not. Never the secret."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from mailhub.sandbox import db
from mailhub.sandbox.security.decision import Decision, Denial, Protocol

DDL = """
CREATE TABLE IF NOT EXISTS security_audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    protocol TEXT NOT NULL,
    ip TEXT NOT NULL,
    outcome TEXT NOT NULL,
    denial TEXT,
    client_password_id INTEGER
);
CREATE INDEX IF NOT EXISTS security_audit_address ON security_audit(address, id);
"""

MAX_USERNAME = 320  # an RFC 5321 path; longer input is cut, not stored whole
KEEP = 100_000  # newest entries kept; older ones are pruned now and then so a long run stays small
PRUNE_EVERY = 1_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    username: str  # as the client typed it
    address: str  # the canonical address when the user was known, else the username lower-cased
    protocol: Protocol
    ip: str
    outcome: str  # "allowed" | "denied"
    denial: Denial | None
    client_password_id: int | None

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"


class AuditLog:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    def record(
        self, conn: sqlite3.Connection, username: str, protocol: Protocol, ip: str, decision: Decision, now: float
    ) -> int:
        """Inside the caller's transaction; returns the entry's id. ``address`` is the canonical address
        when the user is known, else the typed username lower-cased, so ``entries(address)`` finds failed
        attempts too."""
        typed = username[:MAX_USERNAME]
        cur = conn.execute(
            "INSERT INTO security_audit (at, username, address, protocol, ip, outcome, denial, client_password_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                now,
                typed,
                decision.address or typed.strip().lower(),
                protocol.value,
                ip,
                "allowed" if decision.allowed else "denied",
                decision.denial.value if decision.denial else None,
                decision.client_password_id,
            ),
        )
        entry_id = int(cur.lastrowid or 0)
        if entry_id % PRUNE_EVERY == 0:
            conn.execute("DELETE FROM security_audit WHERE id <= ?", (entry_id - KEEP,))
        return entry_id

    def entries(self, address: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        if address is None:
            rows = self._conn.execute("SELECT * FROM security_audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._conn.execute(
                "SELECT * FROM security_audit WHERE address = ? ORDER BY id DESC LIMIT ?",
                (address.strip().lower(), limit),
            )
        return [
            AuditEntry(
                at=datetime.fromtimestamp(r["at"], UTC),
                username=r["username"],
                address=r["address"],
                protocol=Protocol(r["protocol"]),
                ip=r["ip"],
                outcome=r["outcome"],
                denial=Denial(r["denial"]) if r["denial"] else None,
                client_password_id=r["client_password_id"],
            )
            for r in rows
        ]
