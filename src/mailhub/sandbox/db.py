"""The sandbox's one SQLite file: connections, per-module schemas, and change detection across processes.

The sandbox keeps everything (directory, policy, client passwords, SMS outbox, audit log, mail) in
``<data dir>/sandbox.db``. CLI commands and a running ``serve`` open the same file; WAL mode lets them
work side by side, and ``PRAGMA data_version`` tells a long-lived connection that another process committed.

Plain ``sqlite3`` on the event loop is deliberate: every statement here is an indexed lookup or a short
write on a local file (tens of microseconds), cheaper than a hop to a worker thread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

DB_FILE = "sandbox.db"


def connect(data_dir: Path) -> sqlite3.Connection:
    """Open (creating if needed) the sandbox database in ``data_dir`` in autocommit + WAL mode."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / DB_FILE, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def ensure_schema(conn: sqlite3.Connection, ddl: str) -> None:
    """Create a module's tables if missing. Each module owns its DDL (``CREATE TABLE IF NOT EXISTS ...``)."""
    conn.executescript(ddl)


class Transaction:
    """``with Transaction(conn):`` runs the block in one ``BEGIN IMMEDIATE`` write transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self._conn.execute("ROLLBACK" if exc_type else "COMMIT")


def data_version(conn: sqlite3.Connection) -> int:
    """A number that changes whenever *another* connection commits to the file (cheap to poll)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])
