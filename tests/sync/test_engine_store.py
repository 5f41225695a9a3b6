"""The mail tables on SQLite and PostgreSQL: the migration matches the models, batches go in whole, a UID is
stored once per folder, and the list finds mail by subject, sender and preview."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from tests.peers.postgres import fresh_schema

from mailhub.store import AccountRow, Store, open_store
from mailhub.store.mail_models import FolderRow, MessageBodyRow, MessageRow
from mailhub.sync import mailbox_store
from mailhub.sync.fetch_reader import FetchedMessage
from mailhub.sync.folders import Folder
from mailhub.sync.mail_queries import list_messages
from mailhub.sync.summarizing import rows_for


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'mailhub.db'}")
        yield opened
        opened.close()
        return
    with fresh_schema("mailhub_sync") as url:
        opened = open_store(url)
        try:
            yield opened
        finally:
            opened.close()


def account(store: Store) -> int:
    with store.session() as session:
        row = AccountRow(
            email="a@corp.cn",
            imap_host="imap.corp.cn",
            imap_port=993,
            imap_tls="ssl",
            smtp_host="smtp.corp.cn",
            smtp_port=465,
            smtp_tls="ssl",
            username="a@corp.cn",
            status="normal",
        )
        session.add(row)
        session.flush()
        return row.id


def fetched(uid: int, subject: str, sender: str, text: bytes) -> FetchedMessage:
    header = f"From: {sender}\r\nSubject: {subject}\r\nDate: Tue, 24 Nov 2026 10:0{uid % 10}:00 +0800\r\n\r\n"
    return FetchedMessage(
        seq=uid, uid=uid, flags=("\\Seen",) if uid % 2 else (), size=100, header=header.encode(), text=text
    )


def test_migration_matches_the_models(store: Store) -> None:
    found = inspect(store.engine)
    for model in (FolderRow, MessageRow, MessageBodyRow):
        table = model.__table__
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}, table.name


def test_batches_search_and_one_uid_per_folder(store: Store) -> None:
    account_id = account(store)
    inbox = mailbox_store.folder_row(store, account_id, Folder("INBOX", (), None))
    sent = mailbox_store.folder_row(store, account_id, Folder("Sent", (), "\\Sent"))
    batch = [
        fetched(1, "季度报价", "张三 <zs@corp.cn>", "您好，附上报价。".encode()),
        fetched(2, "Meeting 100%_done", "Bob <bob@x.com>", b"agenda"),
        fetched(3, "hello", "李四 <ls@corp.cn>", "付款已安排".encode()),
    ]
    mailbox_store.insert_messages(store, rows_for(account_id, inbox.id, batch))
    mailbox_store.insert_messages(store, rows_for(account_id, sent.id, batch[:1]))  # same UID, other folder

    assert [m.subject for m in list_messages(store, search="报价")] == ["季度报价", "季度报价"]
    assert [m.subject for m in list_messages(store, search="李四")] == ["hello"]
    assert [m.subject for m in list_messages(store, search="付款")] == ["hello"]
    assert [m.subject for m in list_messages(store, search="100%_")] == ["Meeting 100%_done"]
    assert list_messages(store, search="0%x") == []  # % and _ are literal, not wildcards
    assert [m.uid for m in list_messages(store, folder="INBOX", unread=True)] == [2]
    assert [m.folder for m in list_messages(store, folder="sent")] == ["Sent"]
    assert [m.uid for m in list_messages(store, account="a@corp.cn", folder="INBOX")] == [3, 2, 1]
    # A UID another syncer stored first is kept as it is (sync --once beside serve), never a second row.
    mailbox_store.insert_messages(store, rows_for(account_id, inbox.id, batch[1:2]))
    assert len(list_messages(store, folder="INBOX")) == 3


def test_uidvalidity_reset_and_flag_updates(store: Store) -> None:
    account_id = account(store)
    inbox = mailbox_store.folder_row(store, account_id, Folder("INBOX", (), None))
    mailbox_store.insert_messages(
        store, rows_for(account_id, inbox.id, [fetched(1, "a", "x@y", b""), fetched(2, "b", "x@y", b"")])
    )
    mailbox_store.set_flags(store, inbox.id, {2: ("\\Seen \\Flagged", 7)})
    assert mailbox_store.stored_flags(store, inbox.id) == {1: "\\Seen", 2: "\\Seen \\Flagged"}
    mailbox_store.save_cursors(
        store, inbox.id, uidvalidity=5, uidnext=3, highestmodseq=7, at=datetime.now(UTC) - timedelta(1)
    )

    assert mailbox_store.start_over(store, inbox.id, 6) == 2
    again = mailbox_store.folder_row(store, account_id, Folder("INBOX", (), None))
    assert (again.uidvalidity, again.uidnext, again.highestmodseq) == (6, None, None)
    assert mailbox_store.stored_flags(store, inbox.id) == {}
