"""The sandbox's directory: domains with their edition, departments, users, main passwords, bound phones.

Everything is read from SQLite on each call: a CLI command in another process may change a user while
``serve`` runs, and an indexed lookup costs microseconds.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mailhub.sandbox import db
from mailhub.sandbox.directory import validate
from mailhub.sandbox.directory.errors import (
    BadEdition,
    DuplicateDepartment,
    DuplicateDomain,
    DuplicateUser,
    UnknownDomain,
    UnknownUser,
)
from mailhub.sandbox.directory.model import Domain, User

DDL = """
CREATE TABLE IF NOT EXISTS directory_domains (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    edition TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS directory_departments (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES directory_domains(id),
    name TEXT NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE TABLE IF NOT EXISTS directory_users (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    domain_id INTEGER NOT NULL REFERENCES directory_domains(id),
    department_id INTEGER REFERENCES directory_departments(id),
    password_hash TEXT NOT NULL,
    phone TEXT NOT NULL,
    imap_smtp_enabled INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS directory_users_domain ON directory_users(domain_id);
"""

# OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane): ~15 ms per check on this machine,
# enough for a sandbox whose main passwords are test fixtures, and cheap enough not to stall the event loop.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

_USER_SELECT = """
SELECT u.id, u.address, d.name AS domain, p.name AS department, u.phone, u.imap_smtp_enabled
FROM directory_users u
JOIN directory_domains d ON d.id = u.domain_id
LEFT JOIN directory_departments p ON p.id = u.department_id
"""


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        address=row["address"],
        domain=row["domain"],
        department=row["department"],
        phone=row["phone"],
        imap_smtp_enabled=bool(row["imap_smtp_enabled"]),
    )


class Directory:
    """Domains, departments and users of one sandbox database."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    # -- domains -------------------------------------------------------------------------------------
    def add_domain(self, name: str, edition: str) -> Domain:
        """Create a domain served with ``edition``'s host names and replies."""
        # Imported here: profiles depends on security.decision, whose package imports this module.
        from mailhub.sandbox.profiles import UnknownEdition, get_edition, list_editions

        name = validate.domain_name(name)
        try:
            get_edition(edition)
        except UnknownEdition:
            raise BadEdition(edition, [e.id for e in list_editions()]) from None
        try:
            cur = self._conn.execute(
                "INSERT INTO directory_domains (name, edition, created_at) VALUES (?, ?, ?)",
                (name, edition, time.time()),
            )
        except sqlite3.IntegrityError:
            raise DuplicateDomain(name) from None
        return Domain(int(cur.lastrowid or 0), name, edition)

    def get_domain(self, name: str) -> Domain | None:
        row = self._conn.execute(
            "SELECT id, name, edition FROM directory_domains WHERE name = ?", (name.strip().lower(),)
        ).fetchone()
        return Domain(row["id"], row["name"], row["edition"]) if row else None

    def list_domains(self) -> list[Domain]:
        rows = self._conn.execute("SELECT id, name, edition FROM directory_domains ORDER BY id")
        return [Domain(r["id"], r["name"], r["edition"]) for r in rows]

    def _domain_id(self, name: str) -> int:
        domain = self.get_domain(name)
        if domain is None:
            raise UnknownDomain(name)
        return domain.id

    # -- departments ---------------------------------------------------------------------------------
    def add_department(self, domain: str, name: str) -> str:
        """Create a department (部门) in ``domain``; returns its name as stored."""
        name = validate.department(name)
        domain_id = self._domain_id(domain)
        try:
            self._conn.execute("INSERT INTO directory_departments (domain_id, name) VALUES (?, ?)", (domain_id, name))
        except sqlite3.IntegrityError:
            raise DuplicateDepartment(domain, name) from None
        return name

    def list_departments(self, domain: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM directory_departments WHERE domain_id = ? ORDER BY name",
            (self._domain_id(domain),),
        )
        return [r["name"] for r in rows]

    def has_department(self, domain: str, name: str) -> bool:
        row = self._conn.execute(
            """SELECT 1 FROM directory_departments p JOIN directory_domains d ON d.id = p.domain_id
               WHERE d.name = ? AND p.name = ?""",
            (domain.strip().lower(), name.strip()),
        ).fetchone()
        return row is not None

    # -- users ---------------------------------------------------------------------------------------
    def add_user(self, address: str, password: str, phone: str, department: str | None = None) -> User:
        """Create a user with its main password (argon2id) and bound phone; IMAP/SMTP starts switched off.
        A missing department is created on the fly."""
        address, domain = validate.address(address)
        phone = validate.phone(phone)
        password_hash = _HASHER.hash(validate.password(password))  # slow part first, outside the lock
        dept = validate.department(department) if department is not None else None
        with db.Transaction(self._conn) as conn:
            row = conn.execute("SELECT id FROM directory_domains WHERE name = ?", (domain,)).fetchone()
            if row is None:
                raise UnknownDomain(domain)
            domain_id = row["id"]
            department_id = None
            if dept is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO directory_departments (domain_id, name) VALUES (?, ?)",
                    (domain_id, dept),
                )
                department_id = conn.execute(
                    "SELECT id FROM directory_departments WHERE domain_id = ? AND name = ?", (domain_id, dept)
                ).fetchone()["id"]
            try:
                cur = conn.execute(
                    """INSERT INTO directory_users
                       (address, domain_id, department_id, password_hash, phone, imap_smtp_enabled, created_at)
                       VALUES (?, ?, ?, ?, ?, 0, ?)""",
                    (address, domain_id, department_id, password_hash, phone, time.time()),
                )
            except sqlite3.IntegrityError:
                raise DuplicateUser(address) from None
        return User(int(cur.lastrowid or 0), address, domain, dept, phone, False)

    def get_user(self, address: str) -> User | None:
        row = self._conn.execute(_USER_SELECT + " WHERE u.address = ?", (address.strip().lower(),)).fetchone()
        return _user(row) if row else None

    def require_user(self, address: str) -> User:
        """Like ``get_user`` but raises ``UnknownUser``."""
        user = self.get_user(address)
        if user is None:
            raise UnknownUser(address)
        return user

    def list_users(self, domain: str | None = None) -> list[User]:
        if domain is None:
            rows = self._conn.execute(_USER_SELECT + " ORDER BY u.address")
        else:
            rows = self._conn.execute(
                _USER_SELECT + " WHERE u.domain_id = ? ORDER BY u.address", (self._domain_id(domain),)
            )
        return [_user(r) for r in rows]

    def _update(self, address: str, column: str, value: object) -> User:
        cur = self._conn.execute(
            f"UPDATE directory_users SET {column} = ? WHERE address = ?", (value, address.strip().lower())
        )
        if cur.rowcount == 0:
            raise UnknownUser(address)
        return self.require_user(address)

    def set_imap_smtp(self, address: str, enabled: bool) -> User:
        """The per-user 开启IMAP/SMTP服务 switch."""
        return self._update(address, "imap_smtp_enabled", int(bool(enabled)))

    def set_phone(self, address: str, phone: str) -> User:
        """Bind a new phone: later SMS codes go there."""
        return self._update(address, "phone", validate.phone(phone))

    def set_main_password(self, address: str, password: str) -> User:
        return self._update(address, "password_hash", _HASHER.hash(validate.password(password)))

    def verify_main_password(self, user: User | str, password: str) -> bool:
        """True when ``password`` is the user's main (web) password. Costs one argon2id check (~15 ms)."""
        return self.main_password_check(user)(password)

    def main_password_check(self, user: User | str) -> Callable[[str], bool]:
        """Read the user's hash now and return the slow argon2id check as a function that touches no
        database, so an async server can run it on a worker thread while its event loop keeps serving."""
        address = user.address if isinstance(user, User) else user.strip().lower()
        row = self._conn.execute("SELECT password_hash FROM directory_users WHERE address = ?", (address,)).fetchone()
        password_hash: str | None = row["password_hash"] if row else None

        def check(password: str) -> bool:
            if password_hash is None or not password:
                return False
            try:
                # surrogatepass: a client's undecodable bytes must refuse the login, not crash the server
                return _HASHER.verify(password_hash, password.encode("utf-8", "surrogatepass"))
            except (VerificationError, InvalidHashError):
                return False

        return check
