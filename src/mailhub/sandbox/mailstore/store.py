"""The sandbox's mail store: per-user mailboxes with stable UIDVALIDITY/UIDs, flags, MODSEQ and delivery.

Every change bumps the mailbox's ``highest_modseq`` and stamps the touched rows with it, so a session (in
this process or another) catches up by comparing one number and reading only the rows newer than it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from mailhub.sandbox import db
from mailhub.sandbox.mailstore.messages import MessageRows
from mailhub.sandbox.mailstore.model import (
    STANDARD_MAILBOXES,
    Mailbox,
    MailboxExists,
    MailboxStatus,
    MailStoreError,
    NoSuchMailbox,
    header_size,
    join_flags,
    normalize_line_endings,
)
from mailhub.sandbox.mailstore.notifier import ChangeNotifier, MailboxWatch
from mailhub.sandbox.mailstore.schema import DDL

_MAILBOX_COLUMNS = "id, address, name, special_use, uidvalidity, uidnext, highest_modseq, subscribed"
_BATCH = 500


def mailbox_name(name: str) -> str:
    """``INBOX`` is case-insensitive (RFC 3501 §5.1); every other name is kept as the client wrote it."""
    return "INBOX" if name.upper() == "INBOX" else name


def _epoch(internal_date: datetime | float | None) -> float:
    if internal_date is None:
        return time.time()
    if isinstance(internal_date, datetime):
        return internal_date.timestamp()
    return float(internal_date)


class MailStore(MessageRows):
    """Mailboxes and messages of every sandbox user, in the shared SQLite file.

    ``data_dir`` is kept for future file-backed bodies; today bodies are SQLite blobs read in UID ranges.
    """

    def __init__(self, conn: sqlite3.Connection, data_dir: Path) -> None:
        self.conn = conn
        self.data_dir = Path(data_dir)
        self.notifier = ChangeNotifier()
        db.ensure_schema(conn, DDL)

    # -- mailboxes -------------------------------------------------------------------------------
    def ensure_user_mailboxes(self, address: str) -> None:
        """Create INBOX, Sent, Drafts, Trash and Junk (with their SPECIAL-USE) where missing."""
        for name, special_use in STANDARD_MAILBOXES:
            if self.get_mailbox(address, name) is None:
                self.create_mailbox(address, name, special_use)

    def list_mailboxes(self, address: str) -> list[Mailbox]:
        rows = self.conn.execute(
            f"SELECT {_MAILBOX_COLUMNS} FROM mail_mailbox WHERE address = ? ORDER BY name", (address.lower(),)
        )
        return [_mailbox(row) for row in rows]

    def get_mailbox(self, address: str, name: str) -> Mailbox | None:
        row = self.conn.execute(
            f"SELECT {_MAILBOX_COLUMNS} FROM mail_mailbox WHERE address = ? AND name = ?",
            (address.lower(), mailbox_name(name)),
        ).fetchone()
        return _mailbox(row) if row else None

    def mailbox(self, address: str, name: str) -> Mailbox:
        """Like ``get_mailbox`` but raises ``NoSuchMailbox``."""
        found = self.get_mailbox(address, name)
        if found is None:
            raise NoSuchMailbox(name)
        return found

    def mailbox_by_id(self, mailbox_id: int) -> Mailbox | None:
        row = self.conn.execute(f"SELECT {_MAILBOX_COLUMNS} FROM mail_mailbox WHERE id = ?", (mailbox_id,)).fetchone()
        return _mailbox(row) if row else None

    def create_mailbox(self, address: str, name: str, special_use: str | None = None) -> Mailbox:
        address, name = address.lower(), mailbox_name(name)
        with db.Transaction(self.conn) as conn:
            if conn.execute("SELECT 1 FROM mail_mailbox WHERE address = ? AND name = ?", (address, name)).fetchone():
                raise MailboxExists(name)
            # A re-created name must never reuse an old UIDVALIDITY: clients would trust stale UIDs.
            (latest,) = conn.execute(
                "SELECT coalesce(max(uidvalidity), 0) FROM mail_mailbox WHERE address = ?", (address,)
            ).fetchone()
            uidvalidity = max(int(time.time()), latest + 1) & 0x7FFFFFFF
            conn.execute(
                "INSERT INTO mail_mailbox (address, name, special_use, uidvalidity) VALUES (?, ?, ?, ?)",
                (address, name, special_use, uidvalidity),
            )
        return self.mailbox(address, name)

    def delete_mailbox(self, address: str, name: str) -> None:
        box = self.mailbox(address, name)
        if box.name == "INBOX":
            raise MailStoreError("INBOX cannot be deleted")
        with db.Transaction(self.conn) as conn:
            blob_ids = [r[0] for r in conn.execute("SELECT blob_id FROM mail_message WHERE mailbox_id = ?", (box.id,))]
            conn.execute("DELETE FROM mail_message WHERE mailbox_id = ?", (box.id,))
            conn.execute("DELETE FROM mail_mailbox WHERE id = ?", (box.id,))
            self._drop_orphan_blobs(blob_ids)
        self.notifier.changed(box.id)

    def rename_mailbox(self, address: str, old: str, new: str) -> None:
        """Rename a mailbox and its children; renaming INBOX moves its messages to a new mailbox instead."""
        box = self.mailbox(address, old)
        if self.get_mailbox(address, new) is not None:
            raise MailboxExists(new)
        if box.name == "INBOX":
            target = self.create_mailbox(address, new)
            uids = self.uids(box.id)
            if uids:
                self.move(box.id, uids, target.id)
            return
        new = mailbox_name(new)
        with db.Transaction(self.conn) as conn:
            conn.execute("UPDATE mail_mailbox SET name = ? WHERE id = ?", (new, box.id))
            children = conn.execute(
                "SELECT id, name FROM mail_mailbox WHERE address = ? AND substr(name, 1, ?) = ?",
                (box.address, len(box.name) + 1, box.name + "/"),
            ).fetchall()
            for child_id, child_name in children:
                conn.execute(
                    "UPDATE mail_mailbox SET name = ? WHERE id = ?", (new + child_name[len(box.name) :], child_id)
                )

    def set_subscribed(self, address: str, name: str, subscribed: bool) -> None:
        box = self.mailbox(address, name)
        self.conn.execute("UPDATE mail_mailbox SET subscribed = ? WHERE id = ?", (int(subscribed), box.id))

    def status(self, mailbox_id: int) -> MailboxStatus:
        box = self.mailbox_by_id(mailbox_id)
        if box is None:
            raise NoSuchMailbox(str(mailbox_id))
        messages, seen = self.conn.execute(
            "SELECT count(*), coalesce(sum(instr(' ' || flags || ' ', ' \\Seen ') > 0), 0) "
            "FROM mail_message WHERE mailbox_id = ?",
            (mailbox_id,),
        ).fetchone()
        return MailboxStatus(messages, messages - seen, box.uidnext, box.uidvalidity, box.highest_modseq)

    def highest_modseq(self, mailbox_id: int) -> int:
        """The mailbox's change counter (0 when it no longer exists): one indexed read, cheap to poll."""
        row = self.conn.execute("SELECT highest_modseq FROM mail_mailbox WHERE id = ?", (mailbox_id,)).fetchone()
        return row[0] if row else 0

    def watch(self, mailbox_id: int) -> MailboxWatch:
        """An event set when this process changes the mailbox (call ``close()`` when done)."""
        return self.notifier.watch(mailbox_id)

    # -- delivery --------------------------------------------------------------------------------
    def deliver(
        self,
        address: str,
        raw: bytes,
        mailbox: str = "INBOX",
        flags: Iterable[str] = (),
        internal_date: datetime | float | None = None,
    ) -> int:
        """Store one message in the user's mailbox; returns its UID."""
        box = self.mailbox(address, mailbox)
        return self.append(box.id, raw, flags, internal_date)

    def deliver_many(
        self, address: str, messages: Iterable[bytes], mailbox: str = "INBOX", flags: Iterable[str] = ()
    ) -> list[int]:
        """Bulk delivery (bench loaders, imports): one transaction per 500 messages; returns the UIDs."""
        box = self.mailbox(address, mailbox)
        flag_text = join_flags(flags)
        uids: list[int] = []
        batch: list[bytes] = []
        for raw in messages:
            batch.append(raw)
            if len(batch) >= _BATCH:
                uids += self._insert(box.id, [(raw, flag_text, time.time()) for raw in batch])
                batch.clear()
        if batch:
            uids += self._insert(box.id, [(raw, flag_text, time.time()) for raw in batch])
        return uids

    def append(
        self, mailbox_id: int, raw: bytes, flags: Iterable[str] = (), internal_date: datetime | float | None = None
    ) -> int:
        """IMAP APPEND: store one message in a mailbox by id; returns its UID."""
        return self._insert(mailbox_id, [(raw, join_flags(flags), _epoch(internal_date))])[0]

    def _insert(self, mailbox_id: int, items: list[tuple[bytes, str, float]]) -> list[int]:
        with db.Transaction(self.conn) as conn:
            uidnext, modseq = self._reserve(mailbox_id, len(items))
            uids = []
            for offset, (raw, flag_text, when) in enumerate(items):
                raw = normalize_line_endings(raw)
                blob_id = conn.execute("INSERT INTO mail_blob (raw) VALUES (?)", (raw,)).lastrowid
                uid = uidnext + offset
                conn.execute(
                    "INSERT INTO mail_message (mailbox_id, uid, blob_id, flags, internal_date, size, header_size,"
                    " modseq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (mailbox_id, uid, blob_id, flag_text, when, len(raw), header_size(raw), modseq),
                )
                uids.append(uid)
        self.notifier.changed(mailbox_id)
        return uids


def _mailbox(row: sqlite3.Row) -> Mailbox:
    return Mailbox(
        id=row[0],
        address=row[1],
        name=row[2],
        special_use=row[3],
        uidvalidity=row[4],
        uidnext=row[5],
        highest_modseq=row[6],
        subscribed=bool(row[7]),
    )
