"""Two syncers of one account at once (``mailhub sync --once`` while ``serve`` runs) must not collide:
a UID the other one stored first is kept, the folder row is shared, and nothing raises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.peers.postgres import fresh_schema

from mailhub.store import AccountRow, open_store
from mailhub.store.mail_models import MessageRow
from mailhub.sync.folders import Folder
from mailhub.sync.mailbox_store import folder_row, insert_messages


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailhub.db'}"
        return
    with fresh_schema("mailhub_sync") as url:
        yield url


def _row(account_id: int, folder_id: int, uid: int, subject: str) -> dict:
    return {"account_id": account_id, "folder_id": folder_id, "uid": uid, "subject": subject, "size": 10}


def test_a_batch_overlapping_another_syncers_is_stored_once(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.session() as session:
            account = AccountRow(
                email="sales@acme-trade.cn", imap_host="imap.qiye.aliyun.com", imap_port=993, imap_tls="ssl",
                smtp_host="smtp.qiye.aliyun.com", smtp_port=465, smtp_tls="ssl", username="sales@acme-trade.cn",
                status="normal",
            )  # fmt: skip
            session.add(account)
            session.flush()
            account_id = account.id
        inbox = Folder("INBOX", (), None)
        first, second = folder_row(store, account_id, inbox), folder_row(store, account_id, inbox)
        assert first.id == second.id

        insert_messages(store, [_row(account_id, first.id, uid, f"m{uid}") for uid in (1, 2)])
        insert_messages(store, [_row(account_id, first.id, uid, f"again {uid}") for uid in (2, 3)])

        with store.session() as session:
            stored = dict(session.execute(select(MessageRow.uid, MessageRow.subject)).all())
            count = session.scalar(select(func.count()).select_from(MessageRow))
        assert stored == {1: "m1", 2: "m2", 3: "again 3"} and count == 3
    finally:
        store.close()
