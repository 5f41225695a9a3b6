"""The selected mailbox as one session sees it: sequence numbers, and catching up with other sessions.

Catching up costs one indexed read when nothing changed (the mailbox's ``highest_modseq``); otherwise it
reads the rows newer than what the session saw, and only when the message count disagrees the UID list.
"""

from __future__ import annotations

from bisect import bisect_left

from mailhub.sandbox.imap.encode import flag_list
from mailhub.sandbox.mailstore import FlagChange, Mailbox, MailboxWatch, MailStore


class SelectedMailbox:
    def __init__(self, store: MailStore, mailbox: Mailbox, read_only: bool) -> None:
        self.store = store
        self.mailbox = mailbox
        self.read_only = read_only
        self.watch: MailboxWatch = store.watch(mailbox.id)
        conn = store.conn
        conn.execute("BEGIN")  # one snapshot: the UIDs and the modseq they correspond to
        try:
            self.mailbox = store.mailbox_by_id(mailbox.id) or mailbox
            self.modseq = self.mailbox.highest_modseq
            self.uids: list[int] = store.uids(mailbox.id)
        finally:
            conn.execute("COMMIT")
        self._own: dict[int, int] = {}  # uid -> modseq of flag changes this session already reported
        self._expunges_pending = False

    @property
    def id(self) -> int:
        return self.mailbox.id

    def close(self) -> None:
        self.watch.close()

    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int | None:
        index = bisect_left(self.uids, uid)
        return index + 1 if index < len(self.uids) and self.uids[index] == uid else None

    def uids_for(self, ranges: list[tuple[int, int]], by_uid: bool) -> list[int]:
        """The known UIDs a sequence set (or UID set) names, ascending."""
        uids = self.uids
        chosen: set[int] = set()
        for low, high in ranges:
            if by_uid:
                chosen.update(uids[bisect_left(uids, low) : bisect_left(uids, high + 1)])
            else:
                chosen.update(uids[max(low, 1) - 1 : high])
        return sorted(chosen)

    @property
    def largest_uid(self) -> int:
        return self.uids[-1] if self.uids else 0

    def note_own_flags(self, changes: list[FlagChange]) -> None:
        """Flag changes this session has just told its client about; not repeated by ``updates``."""
        for change in changes:
            if change.changed:
                self._own[change.uid] = change.modseq

    def updates(self, allow_expunge: bool, with_modseq: bool = False) -> list[bytes]:
        """Untagged EXPUNGE / EXISTS / FETCH FLAGS lines for what changed since the last call.

        ``allow_expunge`` is false during FETCH, STORE and SEARCH (RFC 3501 §7.4.1): expunges wait, and the
        expunged messages keep their sequence numbers until then.
        """
        current = self.store.highest_modseq(self.id)
        if current == self.modseq and not (allow_expunge and self._expunges_pending):
            return []
        lines: list[bytes] = []
        changes = self.store.changes_since(self.id, self.modseq) if current != self.modseq else []
        self.modseq = max(current, self.modseq)
        largest = self.largest_uid
        new = [uid for uid, _flags, _modseq in changes if uid > largest]
        if allow_expunge:
            present = self.store.count(self.id)
            if present != len(self.uids) + len(new) or self._expunges_pending:
                lines += self._expunge_lines(set(self.store.uids(self.id)))
            self._expunges_pending = False
        else:
            self._expunges_pending = True
        if new:
            self.uids += new
            lines.append(b"* %d EXISTS\r\n" % len(self.uids))
        for uid, flags, modseq in changes:
            if uid > largest or self._own.get(uid) == modseq:
                continue
            seq = self.seq_of(uid)
            if seq is not None:
                tail = b" MODSEQ (%d)" % modseq if with_modseq else b""
                lines.append(b"* %d FETCH (UID %d FLAGS %s%s)\r\n" % (seq, uid, flag_list(flags), tail))
        self._own.clear()
        return lines

    def _expunge_lines(self, present: set[int]) -> list[bytes]:
        lines = []
        for index in range(len(self.uids) - 1, -1, -1):  # highest first: lower numbers stay valid
            if self.uids[index] not in present:
                del self.uids[index]
                lines.append(b"* %d EXPUNGE\r\n" % (index + 1))
        return lines
