"""The mail store on its own: stable UIDVALIDITY and UIDs, flags, MODSEQ, COPY/MOVE/EXPUNGE, special use."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailhub.sandbox import db
from mailhub.sandbox.mailstore import MailboxExists, MailStore, MailStoreError, NoSuchMailbox

ADDRESS = "zhang.wei@trade-demo.cn"


def open_store(data_dir: Path) -> MailStore:
    return MailStore(db.connect(data_dir), data_dir)


@pytest.fixture
def store(tmp_path: Path) -> MailStore:
    mail = open_store(tmp_path)
    mail.ensure_user_mailboxes(ADDRESS)
    return mail


def test_standard_mailboxes_with_special_use(store: MailStore) -> None:
    boxes = {b.name: b.special_use for b in store.list_mailboxes(ADDRESS)}
    assert boxes == {"INBOX": None, "Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Junk": "\\Junk"}
    store.ensure_user_mailboxes(ADDRESS.upper())  # idempotent, addresses are case-insensitive
    assert len(store.list_mailboxes(ADDRESS)) == 5
    assert store.get_mailbox(ADDRESS, "inbox").name == "INBOX"


def test_uids_and_uidvalidity_survive_reopening(tmp_path: Path) -> None:
    first = open_store(tmp_path)
    first.ensure_user_mailboxes(ADDRESS)
    uids = [first.deliver(ADDRESS, b"Subject: %d\r\n\r\nx\r\n" % n) for n in range(3)]
    inbox = first.mailbox(ADDRESS, "INBOX")
    first.conn.close()

    again = open_store(tmp_path)
    reopened = again.mailbox(ADDRESS, "INBOX")
    assert uids == [1, 2, 3]
    assert (reopened.uidvalidity, reopened.uidnext) == (inbox.uidvalidity, 4)
    assert again.deliver(ADDRESS, b"Subject: 4\r\n\r\nx\r\n") == 4


def test_deliver_many_and_line_endings(store: MailStore) -> None:
    uids = store.deliver_many(ADDRESS, (b"Subject: %d\n\nline\n" % n for n in range(1200)))
    assert uids == list(range(1, 1201))
    inbox = store.mailbox(ADDRESS, "INBOX")
    (row,) = store.rows(inbox.id, [(7, 7)], with_raw=True)
    assert row.raw == b"Subject: 6\r\n\r\nline\r\n"
    assert (row.size, row.header_size) == (len(row.raw), len(b"Subject: 6\r\n\r\n"))


def test_flags_are_canonical_and_changes_bump_modseq(store: MailStore) -> None:
    inbox = store.mailbox(ADDRESS, "INBOX")
    uid = store.deliver(ADDRESS, b"Subject: x\r\n\r\nx\r\n", flags=["\\seen", "$Work", "\\Recent"])
    (row,) = store.rows(inbox.id, [(uid, uid)], with_raw=False)
    assert row.flags == "\\Seen $Work"
    before = store.highest_modseq(inbox.id)
    assert store.store_flags(inbox.id, [uid], "+", ["\\SEEN"])[0].changed is False  # no change, no new modseq
    assert store.highest_modseq(inbox.id) == before
    change = store.store_flags(inbox.id, [uid], "-", ["$work"])[0]
    assert (change.flags, change.changed) == ("\\Seen", True) and change.modseq > before
    assert store.changes_since(inbox.id, before) == [(uid, "\\Seen", change.modseq)]
    # CONDSTORE: a message changed after the client's mod-sequence is left alone
    conflict = store.store_flags(inbox.id, [uid], "+", ["\\Flagged"], unchanged_since=before)[0]
    assert conflict.conflict and conflict.flags == "\\Seen"


def test_copy_move_and_expunge(store: MailStore) -> None:
    inbox, trash = store.mailbox(ADDRESS, "INBOX"), store.mailbox(ADDRESS, "Trash")
    for n in range(4):
        store.deliver(ADDRESS, b"Subject: %d\r\n\r\nx\r\n" % n)
    assert store.copy(inbox.id, [1, 3], trash.id) == [(1, 1), (3, 2)]
    assert store.move(inbox.id, [2], trash.id) == [(2, 3)]
    assert store.uids(inbox.id) == [1, 3, 4]
    store.store_flags(inbox.id, [1, 4], "+", ["\\Deleted"])
    assert store.expunge(inbox.id, [4]) == [4]
    assert store.expunge(inbox.id) == [1]
    # the copy in Trash still has its body although the original is gone
    (row,) = store.rows(trash.id, [(1, 1)], with_raw=True)
    assert row.raw == b"Subject: 0\r\n\r\nx\r\n"
    assert store.status(trash.id).messages == 3 and store.status(trash.id).unseen == 3


def test_create_rename_delete_mailboxes(store: MailStore) -> None:
    store.create_mailbox(ADDRESS, "Projects")
    store.create_mailbox(ADDRESS, "Projects/2024")
    with pytest.raises(MailboxExists):
        store.create_mailbox(ADDRESS, "Projects")
    store.rename_mailbox(ADDRESS, "Projects", "Archive")
    assert store.get_mailbox(ADDRESS, "Archive/2024") is not None
    old = store.mailbox(ADDRESS, "Archive")
    store.delete_mailbox(ADDRESS, "Archive")
    recreated = store.create_mailbox(ADDRESS, "Archive")
    assert recreated.uidvalidity != old.uidvalidity  # clients must not trust the old UIDs
    with pytest.raises(MailStoreError):
        store.delete_mailbox(ADDRESS, "INBOX")
    with pytest.raises(NoSuchMailbox):
        store.deliver(ADDRESS, b"x", mailbox="Nowhere")


def test_renaming_inbox_moves_its_messages(store: MailStore) -> None:
    store.deliver(ADDRESS, b"Subject: old\r\n\r\nx\r\n")
    store.rename_mailbox(ADDRESS, "INBOX", "Old Inbox")
    assert store.status(store.mailbox(ADDRESS, "INBOX").id).messages == 0
    assert store.status(store.mailbox(ADDRESS, "Old Inbox").id).messages == 1


async def test_watchers_are_woken_by_changes(store: MailStore) -> None:
    inbox = store.mailbox(ADDRESS, "INBOX")
    watch = store.watch(inbox.id)
    assert not watch.event.is_set()
    store.deliver(ADDRESS, b"Subject: x\r\n\r\nx\r\n")
    await watch.event.wait()  # bounded by the test timeout
    watch.close()
