"""Client security passwords (三方客户端安全密码): 16 random letters and digits, one per device, shown once.

Only a salted HMAC-SHA256 digest is stored. A slow hash would add nothing (the password is random, 95
bits) and would cost the server CPU on every login; argon2id stays for the human-chosen main password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from mailhub.sandbox import db
from mailhub.sandbox.security.decision import Protocol

LENGTH = 16
ALPHABET = string.ascii_letters + string.digits

DDL = """
CREATE TABLE IF NOT EXISTS security_client_passwords (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES directory_users(id),
    remark TEXT NOT NULL,
    salt BLOB NOT NULL,
    digest BLOB NOT NULL,
    created_at REAL NOT NULL,
    last_used_at REAL,
    last_used_protocol TEXT,
    last_used_ip TEXT
);
CREATE INDEX IF NOT EXISTS security_client_passwords_user ON security_client_passwords(user_id);
CREATE TABLE IF NOT EXISTS security_client_password_switch (
    user_id INTEGER PRIMARY KEY REFERENCES directory_users(id),
    enabled_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class ClientPassword:
    """What the user's list shows for one client password; the password itself is never kept."""

    id: int
    address: str
    remark: str
    created_at: datetime
    last_used_at: datetime | None
    last_used_protocol: Protocol | None
    last_used_ip: str | None


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _when(value: float | None) -> datetime | None:
    return None if value is None else _at(value)


def _digest(salt: bytes, secret: str) -> bytes:
    return hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


class ClientPasswordStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    # -- the user's on/off switch for the feature ----------------------------------------------------
    def enable(self, user_id: int, now: float) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO security_client_password_switch (user_id, enabled_at) VALUES (?, ?)",
            (user_id, now),
        )

    def enabled(self, user_id: int) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM security_client_password_switch WHERE user_id = ?", (user_id,)
        ).fetchone()
        return row is not None

    # -- passwords -----------------------------------------------------------------------------------
    def create(self, user_id: int, address: str, remark: str, now: float) -> tuple[ClientPassword, str]:
        secret = generate()
        salt = secrets.token_bytes(16)
        cur = self._conn.execute(
            "INSERT INTO security_client_passwords (user_id, remark, salt, digest, created_at) VALUES (?, ?, ?, ?, ?)",
            (user_id, remark, salt, _digest(salt, secret), now),
        )
        info = ClientPassword(int(cur.lastrowid or 0), address, remark, _at(now), None, None, None)
        return info, secret

    def list(self, user_id: int, address: str) -> list[ClientPassword]:
        rows = self._conn.execute(
            "SELECT id, remark, created_at, last_used_at, last_used_protocol, last_used_ip "
            "FROM security_client_passwords WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [
            ClientPassword(
                id=r["id"],
                address=address,
                remark=r["remark"],
                created_at=_at(r["created_at"]),
                last_used_at=_when(r["last_used_at"]),
                last_used_protocol=Protocol(r["last_used_protocol"]) if r["last_used_protocol"] else None,
                last_used_ip=r["last_used_ip"],
            )
            for r in rows
        ]

    def delete(self, user_id: int, password_id: int) -> bool:
        cur = self._conn.execute(
            "DELETE FROM security_client_passwords WHERE id = ? AND user_id = ?", (password_id, user_id)
        )
        return cur.rowcount > 0

    def existing_ids(self, ids: Iterable[int]) -> set[int]:
        wanted = sorted({int(i) for i in ids})
        found: set[int] = set()
        for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(f"SELECT id FROM security_client_passwords WHERE id IN ({marks})", chunk)
            found.update(r["id"] for r in rows)
        return found

    # -- the gate's two questions --------------------------------------------------------------------
    def match(self, user_id: int, secret: str) -> tuple[int | None, bool]:
        """``(id of the client password equal to secret, or None; whether the user has any)``.
        Costs one HMAC per client password of the user (microseconds)."""
        rows = self._conn.execute(
            "SELECT id, salt, digest FROM security_client_passwords WHERE user_id = ?", (user_id,)
        ).fetchall()
        for r in rows:
            if hmac.compare_digest(_digest(r["salt"], secret), r["digest"]):
                return r["id"], True
        return None, bool(rows)

    def record_use(self, conn: sqlite3.Connection, password_id: int, protocol: Protocol, ip: str, now: float) -> None:
        conn.execute(
            "UPDATE security_client_passwords SET last_used_at = ?, last_used_protocol = ?, last_used_ip = ? "
            "WHERE id = ?",
            (now, protocol.value, ip, password_id),
        )
