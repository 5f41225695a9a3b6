"""Message rows of one mailbox: UID lists, UID-range reads, flag changes, COPY/MOVE and EXPUNGE."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from mailhub.sandbox import db
from mailhub.sandbox.mailstore.model import (
    FlagChange,
    MessageRow,
    NoSuchMailbox,
    canonical_flags,
    join_flags,
    split_flags,
)
from mailhub.sandbox.mailstore.notifier import ChangeNotifier

_META = "m.uid, m.flags, m.internal_date, m.size, m.header_size, m.modseq"


class MessageRows:
    """The message half of ``MailStore`` (it owns ``conn`` and ``notifier``)."""

    conn: sqlite3.Connection
    notifier: ChangeNotifier

    def uids(self, mailbox_id: int) -> list[int]:
        """Ascending: sequence numbers are positions in this list (without ORDER BY, SQLite may walk the
        modseq index and return re-flagged messages last)."""
        query = "SELECT uid FROM mail_message WHERE mailbox_id = ? ORDER BY uid"
        return [r[0] for r in self.conn.execute(query, (mailbox_id,))]

    def count(self, mailbox_id: int) -> int:
        return self.conn.execute("SELECT count(*) FROM mail_message WHERE mailbox_id = ?", (mailbox_id,)).fetchone()[0]

    def changes_since(self, mailbox_id: int, modseq: int) -> list[tuple[int, str, int]]:
        """(uid, flags, modseq) of the messages added or re-flagged after ``modseq``, in UID order."""
        rows = self.conn.execute(
            "SELECT uid, flags, modseq FROM mail_message WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
            (mailbox_id, modseq),
        )
        return [(uid, flags, row_modseq) for uid, flags, row_modseq in rows]

    def rows(self, mailbox_id: int, uid_ranges: Iterable[tuple[int, int]], with_raw: bool) -> list[MessageRow]:
        """Messages in the inclusive UID ranges, in UID order; bodies only when ``with_raw``.

        Returns a list, not a cursor: callers await socket writes between batches, and an open cursor on the
        shared connection must not span those awaits.
        """
        if with_raw:
            sql = (
                f"SELECT {_META}, b.raw FROM mail_message m JOIN mail_blob b ON b.id = m.blob_id "
                "WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid"
            )
        else:
            sql = (
                f"SELECT {_META}, NULL FROM mail_message m "
                "WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid"
            )
        found: list[MessageRow] = []
        for low, high in uid_ranges:
            found += [MessageRow(*row) for row in self.conn.execute(sql, (mailbox_id, low, high))]
        return found

    def store_flags(
        self,
        mailbox_id: int,
        uids: Sequence[int],
        mode: str,
        flags: Iterable[str],
        unchanged_since: int | None = None,
    ) -> list[FlagChange]:
        """STORE: ``mode`` is ``"+"`` (add), ``"-"`` (remove) or ``""`` (replace), for every message still
        present; only real changes get a new modseq. With ``unchanged_since`` (CONDSTORE), messages changed after
        that modseq are left alone and reported as conflicts."""
        wanted = canonical_flags(flags)
        lowered = {f.lower() for f in wanted}
        result: list[FlagChange] = []
        with db.Transaction(self.conn) as conn:
            modseq = None
            for uid, current, row_modseq in self._flag_rows(mailbox_id, uids):
                if unchanged_since is not None and row_modseq > unchanged_since:
                    result.append(FlagChange(uid, current, row_modseq, False, conflict=True))
                    continue
                present = split_flags(current)
                if mode == "+":
                    new = join_flags([*present, *wanted])
                elif mode == "-":
                    new = join_flags(f for f in present if f.lower() not in lowered)
                else:
                    new = join_flags(wanted)
                if new != current:
                    if modseq is None:
                        modseq = self._bump(mailbox_id)
                    conn.execute(
                        "UPDATE mail_message SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?",
                        (new, modseq, mailbox_id, uid),
                    )
                    row_modseq = modseq
                result.append(FlagChange(uid, new, row_modseq, new != current))
        if any(change.changed for change in result):
            self.notifier.changed(mailbox_id)
        return result

    def copy(self, source_id: int, uids: Sequence[int], target_id: int) -> list[tuple[int, int]]:
        """COPY: the bodies are shared, flags and internal dates kept; returns (source uid, new uid) pairs."""
        with db.Transaction(self.conn):
            pairs = self._copy_rows(source_id, uids, target_id)
        if pairs:
            self.notifier.changed(target_id)
        return pairs

    def move(self, source_id: int, uids: Sequence[int], target_id: int) -> list[tuple[int, int]]:
        """MOVE (RFC 6851): copy and expunge in one transaction, so no other session sees it twice."""
        with db.Transaction(self.conn):
            pairs = self._copy_rows(source_id, uids, target_id)
            self._delete(source_id, [source for source, _ in pairs])
        if pairs:
            self.notifier.changed(target_id)
            self.notifier.changed(source_id)
        return pairs

    def expunge(self, mailbox_id: int, uids: Sequence[int] | None = None) -> list[int]:
        """Remove the messages flagged ``\\Deleted`` (only among ``uids`` when given); returns their UIDs."""
        doomed = [
            uid
            for uid, flags in self.conn.execute(
                "SELECT uid, flags FROM mail_message WHERE mailbox_id = ? AND instr(flags, '\\Deleted') > 0",
                (mailbox_id,),
            )
            if "\\Deleted" in split_flags(flags)
        ]
        if uids is not None:
            allowed = set(uids)
            doomed = [uid for uid in doomed if uid in allowed]
        if doomed:
            with db.Transaction(self.conn):
                self._delete(mailbox_id, doomed)
            self.notifier.changed(mailbox_id)
        return doomed

    # -- inside a transaction ---------------------------------------------------------------------
    def _flag_rows(self, mailbox_id: int, uids: Sequence[int]) -> list[tuple[int, str, int]]:
        if not uids:
            return []
        low, high = min(uids), max(uids)
        wanted = set(uids)
        rows = self.conn.execute(
            "SELECT uid, flags, modseq FROM mail_message WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid",
            (mailbox_id, low, high),
        )
        return [row for row in rows if row[0] in wanted]

    def _copy_rows(self, source_id: int, uids: Sequence[int], target_id: int) -> list[tuple[int, int]]:
        if not uids:
            return []
        low, high = min(uids), max(uids)
        wanted = set(uids)
        rows = [
            row
            for row in self.conn.execute(
                "SELECT uid, blob_id, flags, internal_date, size, header_size FROM mail_message "
                "WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid",
                (source_id, low, high),
            )
            if row[0] in wanted
        ]
        if not rows:
            return []
        first, modseq = self._reserve(target_id, len(rows))
        self.conn.executemany(
            "INSERT INTO mail_message (mailbox_id, uid, blob_id, flags, internal_date, size, header_size, modseq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(target_id, first + i, r[1], r[2], r[3], r[4], r[5], modseq) for i, r in enumerate(rows)],
        )
        return [(r[0], first + i) for i, r in enumerate(rows)]

    def _delete(self, mailbox_id: int, uids: Sequence[int]) -> None:
        blob_ids = []
        for uid in uids:
            row = self.conn.execute(
                "DELETE FROM mail_message WHERE mailbox_id = ? AND uid = ? RETURNING blob_id", (mailbox_id, uid)
            ).fetchone()
            if row:
                blob_ids.append(row[0])
        self._bump(mailbox_id)
        self._drop_orphan_blobs(blob_ids)

    def _bump(self, mailbox_id: int) -> int:
        row = self.conn.execute(
            "UPDATE mail_mailbox SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq",
            (mailbox_id,),
        ).fetchone()
        if row is None:
            raise NoSuchMailbox(str(mailbox_id))
        return row[0]

    def _reserve(self, mailbox_id: int, count: int) -> tuple[int, int]:
        """Take ``count`` UIDs and the next modseq; returns (first uid, modseq)."""
        row = self.conn.execute(
            "UPDATE mail_mailbox SET uidnext = uidnext + ?, highest_modseq = highest_modseq + 1 WHERE id = ? "
            "RETURNING uidnext - ?, highest_modseq",
            (count, mailbox_id, count),
        ).fetchone()
        if row is None:
            raise NoSuchMailbox(str(mailbox_id))
        return row[0], row[1]

    def _drop_orphan_blobs(self, blob_ids: Iterable[int]) -> None:
        self.conn.executemany(
            "DELETE FROM mail_blob WHERE id = ? AND NOT EXISTS (SELECT 1 FROM mail_message WHERE blob_id = ?)",
            [(b, b) for b in set(blob_ids)],
        )
