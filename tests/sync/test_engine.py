"""The sync engine against a real Dovecot over TLS: first sync, incremental, flags, expunges, UIDVALIDITY."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sync_hub import DovecotHub, add_users, make_message, wait_until
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.sync.engine import AccountSync

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        add_users(server)
        yield server


@pytest.fixture
def hub(dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DovecotHub]:
    ports = dovecot.ports.values()
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in ports))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    monkeypatch.setenv("MAILHUB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MAILHUB_MASTER_KEY", raising=False)
    hub = DovecotHub(dovecot, tmp_path / "home")
    yield hub
    hub.close()


def worker(hub: DovecotHub, **options) -> AccountSync:
    return AccountSync(hub.store, hub.vault, hub.account_id, **options)


async def test_first_sync_pulls_inbox_and_sent_with_decoded_summaries(hub: DovecotHub) -> None:
    for n in range(7):
        hub.deliver(make_message(f"报价单 第{n}号"))
    hub.deliver(make_message("已发出的合同", sender="我 <me@corp.cn>"), folder="Sent")
    await hub.bind()
    events: list[tuple[str, dict]] = []
    sync = worker(hub, publish=lambda kind, _account, data: events.append((kind, data)))

    report = await sync.sync_once()

    assert report.new == 8
    assert hub.stored_state("INBOX") == hub.server_state("INBOX")
    assert hub.stored_state("Sent") == hub.server_state("Sent")
    subjects = sorted(m.subject for m in hub.messages("INBOX"))
    assert subjects == sorted(f"报价单 第{n}号" for n in range(7))
    first = hub.messages("INBOX")[0]
    assert (first.from_name, first.from_email) == ("张三", "zhangsan@corp.cn")
    assert first.snippet.startswith("你好")
    assert first.problems == []
    assert ("mail.new", {"folder": "Sent", "count": 1, "uids": [1]}) in events
    assert any(kind == "sync.progress" and data["folder"] == "INBOX" for kind, data in events)


async def test_incremental_sync_brings_new_mail_flag_changes_and_expunges(hub: DovecotHub) -> None:
    for n in range(5):
        hub.deliver(make_message(f"第一批 {n}"))
    await hub.bind()
    await worker(hub).sync_once()
    with hub.imap() as client:
        client.select("INBOX")
        client.uid("STORE", "2", "+FLAGS", "(\\Seen \\Flagged)")
        client.uid("STORE", "4", "+FLAGS", "(\\Deleted)")
        client.expunge()
    hub.deliver(make_message("第二批"))

    report = await worker(hub).sync_once()

    inbox = report.folders[0]
    assert (inbox.new_uids, inbox.flag_changes, inbox.expunged) == ([6], [2], [4])
    assert hub.stored_state() == hub.server_state()
    assert {m.uid for m in hub.messages() if m.seen} == {2}


async def test_a_recreated_folder_is_synced_again_from_scratch(hub: DovecotHub) -> None:
    hub.deliver(make_message("旧的"), folder="Projects")
    await hub.bind()
    sync = worker(hub)
    sync.options.extra_folders = ("Projects",)
    await sync.sync_once()
    before = hub.messages("Projects")
    with hub.imap() as client:
        client.delete("Projects")
        client.create("Projects")
        for n in range(2):
            client.append("Projects", "", None, make_message(f"新的 {n}"))

    report = await sync.sync_once()

    projects = next(f for f in report.folders if f.folder == "Projects")
    assert projects.reset
    assert [m.subject for m in before] == ["旧的"]
    assert [m.subject for m in hub.messages("Projects")] == ["新的 0", "新的 1"]
    assert hub.stored_state("Projects") == hub.server_state("Projects")


async def test_the_sync_range_leaves_older_mail_on_the_server(hub: DovecotHub) -> None:
    with hub.imap() as client:
        old = datetime.now(UTC) - timedelta(days=90)
        client.append("INBOX", "", old.timestamp(), make_message("三个月前"))
        client.append("INBOX", "", None, make_message("今天"))
    await hub.bind(sync_days=30)

    await worker(hub).sync_once()

    assert [m.subject for m in hub.messages()] == ["今天"]
    hub.deliver(make_message("明天也同步"))
    await worker(hub).sync_once()
    assert [m.subject for m in hub.messages()] == ["今天", "明天也同步"]


async def test_while_idling_new_mail_flag_changes_and_expunges_by_another_client_are_stored(hub: DovecotHub) -> None:
    for n in range(3):
        hub.deliver(make_message(f"邮件 {n}"))
    await hub.bind()
    worker = AccountSync(hub.store, hub.vault, hub.account_id)
    task = asyncio.create_task(worker.run())
    try:
        await wait_until(lambda: len(hub.messages()) == 3, timeout=20)
        await asyncio.sleep(0.2)  # the worker is in IDLE now (a change before that is caught by SELECT anyway)
        with hub.imap() as phone:  # another client reading the same mailbox
            phone.select("INBOX")
            phone.uid("STORE", "1", "+FLAGS", "(\\Seen)")
        await wait_until(lambda: {m.uid for m in hub.messages() if m.seen} == {1}, timeout=20)
        with hub.imap() as phone:
            phone.select("INBOX")
            phone.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
            phone.expunge()
        await wait_until(lambda: [m.uid for m in hub.messages()] == [1, 3], timeout=20)
        hub.deliver(make_message("新到的"))
        await wait_until(lambda: [m.uid for m in hub.messages()] == [1, 3, 4], timeout=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert hub.stored_state() == hub.server_state()
    assert len(worker.login_attempts) == 1
