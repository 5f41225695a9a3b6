"""The outbox tables on SQLite and PostgreSQL: the 0003_outbox branch migrates, and the queue's transitions
(claim, hold, release, cancel, account deleted) behave the same on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect
from tests.peers.postgres import fresh_schema

from mailhub.outbox import (
    Draft,
    OutboxState,
    cancel_account,
    cancel_orphans,
    compose,
    enqueue,
    get_entry,
    hold_account,
    ledger,
    release_account,
)
from mailhub.store import AccountRow, head_revisions, open_store
from mailhub.store.models import utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    with fresh_schema("mailhub_outbox") as url:
        yield url


def _account(store, email: str = "a@acme.cn", status: str = "normal") -> int:
    with store.session() as session:
        row = AccountRow(
            email=email, provider_id="aliyun-standard", imap_host="imap.qiye.aliyun.com", imap_port=993,
            imap_tls="ssl", smtp_host="smtp.qiye.aliyun.com", smtp_port=465, smtp_tls="ssl", username=email,
            status=status, created_at=utcnow(), updated_at=utcnow(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def test_the_outbox_branch_migrates_and_transitions_hold(db_url: str) -> None:
    store = open_store(db_url)
    try:
        assert "0003_outbox" in head_revisions()
        tables = set(inspect(store.engine).get_table_names())
        assert {"outbox_messages", "outbox_attempts", "outbox_limits"} <= tables
        account_id = _account(store)
        message = compose(Draft("a@acme.cn", to=["张三 <zs@buyer.cn>"], subject="报价", text="x"))
        entry = enqueue(store, account_id, message)
        assert get_entry(store, entry.id).state == OutboxState.QUEUED
        assert len(get_raw(store, entry.id)) == entry.size  # the exact bytes, kept before any send

        [claimed] = ledger.claim(store, account_id, [entry.id])
        assert claimed.message_id == message.message_id and claimed.attempts == 1
        assert ledger.claim(store, account_id, [entry.id]) == []  # nobody takes it twice
        with store.engine.begin() as connection:
            ledger.mark_requeued(connection, claimed, None, "test")
        assert get_entry(store, entry.id).attempts == 0

        assert hold_account(store, account_id) == 1 and get_entry(store, entry.id).state == OutboxState.HELD
        assert release_account(store, account_id) == 1 and get_entry(store, entry.id).state == OutboxState.QUEUED
        assert cancel_account(store, account_id) == 1 and get_entry(store, entry.id).state == OutboxState.CANCELLED

        second = enqueue(store, account_id, compose(Draft("a@acme.cn", to=["b@x.cn"], text="y")))
        with store.session() as session:
            session.execute(delete(AccountRow).where(AccountRow.id == account_id))
        assert get_entry(store, second.id).account_id is None  # ON DELETE SET NULL: the record stays
        assert cancel_orphans(store) == 1 and get_entry(store, second.id).state == OutboxState.CANCELLED
    finally:
        store.close()


def get_raw(store, outbox_id: int) -> bytes:
    from mailhub.store.outbox_models import OutboxMessageRow

    with store.session() as session:
        return session.get_one(OutboxMessageRow, outbox_id).raw


@pytest.mark.postgres
async def test_sending_and_recovery_on_postgresql(hub, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's path (batched claims, group commits, four connections, recovery) on PostgreSQL."""
    from test_recovery import crash_at

    from mailhub.outbox import list_entries

    assert hub.store.engine.dialect.name == "postgresql"
    account_id, sender = await hub.bind("pg")
    entries = [hub.queue(account_id, sender, f"r{i}@buyer.example") for i in range(20)]
    with monkeypatch.context() as patch:
        crash_at(patch, "mark_sent")  # the first 250 is never recorded
        with pytest.raises(BaseException, match="mark_sent"):
            await hub.worker(account_id).run_once()

    report = await hub.worker(account_id).run_once()

    assert report.recovered >= 1
    states = {e.state for e in list_entries(hub.store, account_id=account_id)}
    assert states == {OutboxState.SENT}
    outbound = hub.running.sandbox.outbound
    assert outbound.count() == 20 and all(outbound.count_message_id(e.message_id) == 1 for e in entries)
