"""Mail the sandbox would send to other domains, captured instead of sent (as Mailpit does).

The sandbox never talks to the outside world: a message submitted for ``someone@elsewhere.example`` is kept
here, so a test or a person can check what the hub sent, to whom, and with which Message-ID.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.parser import HeaderParser
from email.policy import compat32

from mailhub.sandbox import db

DDL = """
CREATE TABLE IF NOT EXISTS outbound_message (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mail_from   TEXT NOT NULL,
    rcpt_tos    TEXT NOT NULL,           -- JSON list of envelope recipients
    subject     TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL,
    captured_at REAL NOT NULL,
    raw         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbound_message_message_id ON outbound_message (message_id);
"""

_SUMMARY_COLUMNS = "id, mail_from, rcpt_tos, subject, message_id, size, captured_at"
_HEADER_PARSER = HeaderParser(policy=compat32)  # the fast path: headers only, no MIME decoding


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One captured message. ``raw`` is empty in listings and filled by ``OutboundStore.get``."""

    id: int
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    message_id: str
    size: int
    captured_at: float
    raw: bytes = field(default=b"", repr=False)


def _headers_of(raw: bytes) -> tuple[str, str]:
    """The readable Subject and the Message-ID. Headers may be raw UTF-8 (RFC 6532) or RFC 2047 words."""
    head = raw.partition(b"\r\n\r\n")[0].decode("utf-8", "replace")
    headers = _HEADER_PARSER.parsestr(head)
    return _readable(headers.get("Subject")), str(headers.get("Message-ID") or "").strip()


def _readable(value: object) -> str:
    if not value:
        return ""
    text = str(value)
    try:
        return str(make_header(decode_header(text))).strip()
    except (ValueError, LookupError, UnicodeError):  # a broken encoded word: show it as written
        return text.strip()


def _row_to_message(row: sqlite3.Row, raw: bytes = b"") -> OutboundMessage:
    return OutboundMessage(
        id=row["id"],
        mail_from=row["mail_from"],
        rcpt_tos=tuple(json.loads(row["rcpt_tos"])),
        subject=row["subject"],
        message_id=row["message_id"],
        size=row["size"],
        captured_at=row["captured_at"],
        raw=raw,
    )


class OutboundStore:
    """Captured outbound mail in the sandbox database, newest first."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    def capture(self, mail_from: str, rcpt_tos: list[str] | tuple[str, ...], raw: bytes) -> int:
        """Keep one message for these envelope recipients; returns its id."""
        subject, message_id = _headers_of(raw)
        cursor = self._conn.execute(
            "INSERT INTO outbound_message (mail_from, rcpt_tos, subject, message_id, size, captured_at, raw)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                mail_from,
                json.dumps(list(rcpt_tos), ensure_ascii=False),
                subject,
                message_id,
                len(raw),
                time.time(),
                raw,
            ),
        )
        return int(cursor.lastrowid or 0)

    def list(self, limit: int = 50, offset: int = 0) -> list[OutboundMessage]:
        """A page of captured messages without their bodies, newest first."""
        rows = self._conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM outbound_message ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [_row_to_message(row) for row in rows]

    def get(self, message_id: int) -> OutboundMessage | None:
        """One captured message with its raw bytes, or None."""
        row = self._conn.execute(
            f"SELECT {_SUMMARY_COLUMNS}, raw FROM outbound_message WHERE id = ?", (message_id,)
        ).fetchone()
        return None if row is None else _row_to_message(row, bytes(row["raw"]))

    def for_recipient(self, address: str, limit: int = 50) -> list[OutboundMessage]:
        """Captured messages whose envelope names this recipient (case-insensitive), newest first."""
        wanted = address.lower()
        rows = self._conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM outbound_message"
            " WHERE EXISTS (SELECT 1 FROM json_each(rcpt_tos) WHERE lower(json_each.value) = ?)"
            " ORDER BY id DESC LIMIT ?",
            (wanted, limit),
        ).fetchall()
        return [_row_to_message(row) for row in rows]

    def message_ids(self) -> set[str]:
        """Every captured Message-ID header value (to check that a send happened exactly once)."""
        rows = self._conn.execute("SELECT message_id FROM outbound_message WHERE message_id != ''")
        return {row[0] for row in rows}

    def count_message_id(self, message_id: str) -> int:
        """How many captured messages carry this Message-ID (more than one means a duplicate send)."""
        row = self._conn.execute("SELECT count(*) FROM outbound_message WHERE message_id = ?", (message_id,)).fetchone()
        return int(row[0])

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM outbound_message").fetchone()[0])

    def delete(self, message_id: int) -> bool:
        """Forget one captured message; returns whether it existed."""
        return self._conn.execute("DELETE FROM outbound_message WHERE id = ?", (message_id,)).rowcount > 0

    def clear(self) -> int:
        """Forget every captured message; returns how many there were."""
        return self._conn.execute("DELETE FROM outbound_message").rowcount
