"""The domain administrators' console passwords: ``postmaster@<domain>`` signs in to the admin console.

Set with ``mailhub sandbox admin set-password DOMAIN --password-stdin`` or on the console's first-run form.
Stored as argon2id hashes in the sandbox database, beside the directory (one row per domain).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mailhub.sandbox import db
from mailhub.sandbox.directory import UnknownDomain
from mailhub.sandbox.directory.errors import InvalidValue

DDL = """
CREATE TABLE IF NOT EXISTS console_admins (
    domain TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    set_at REAL NOT NULL
);
"""

ADMIN_LOCAL_PART = "postmaster"
MIN_LENGTH = 8
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def admin_address(domain: str) -> str:
    return f"{ADMIN_LOCAL_PART}@{domain}"


def domain_of_admin(address: str) -> str | None:
    """``postmaster@example.cn`` -> ``example.cn``; any other address -> None."""
    local, at, domain = address.strip().lower().partition("@")
    return domain if at and local == ADMIN_LOCAL_PART and domain else None


class ConsoleAdmins:
    """Per-domain admin passwords of one sandbox database."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    def has_password(self, domain: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM console_admins WHERE domain = ?", (domain.strip().lower(),))
        return row.fetchone() is not None

    def set_password(self, domain: str, password: str, *, known_domains: list[str]) -> None:
        """Set (or replace) ``postmaster@domain``'s console password; the domain must exist."""
        domain = domain.strip().lower()
        if domain not in known_domains:
            raise UnknownDomain(domain)
        if len(password) < MIN_LENGTH:
            raise InvalidValue(
                f"the admin password needs at least {MIN_LENGTH} characters",
                f"管理员密码至少需要 {MIN_LENGTH} 个字符",
            )
        password_hash = _HASHER.hash(password)
        self._conn.execute(
            "INSERT INTO console_admins (domain, password_hash, set_at) VALUES (?, ?, ?) "
            "ON CONFLICT(domain) DO UPDATE SET password_hash = excluded.password_hash, set_at = excluded.set_at",
            (domain, password_hash, time.time()),
        )

    def password_check(self, domain: str) -> Callable[[str], bool]:
        """Read the hash now; return the slow argon2id check as a function that needs no database, so the
        console can run it on a worker thread while the event loop keeps serving IMAP and SMTP."""
        row = self._conn.execute(
            "SELECT password_hash FROM console_admins WHERE domain = ?", (domain.strip().lower(),)
        ).fetchone()
        password_hash: str | None = row["password_hash"] if row else None

        def check(password: str) -> bool:
            if password_hash is None or not password:
                return False
            try:
                return _HASHER.verify(password_hash, password.encode("utf-8", "surrogatepass"))
            except (VerificationError, InvalidHashError):
                return False

        return check
