"""The long-running worker against the sandbox: IDLE on INBOX stores new mail within moments."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import pytest
from sync_hub import SandboxHub, make_message, wait_until

from mailhub.store.mail_models import FolderRow
from mailhub.sync.engine import AccountSync
from mailhub.sync.folder_sync import sync_folder
from mailhub.sync.folders import Folder
from mailhub.sync.imap_session import ImapSession


@pytest.fixture
def hub(sandbox_service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    hub = SandboxHub(sandbox_service, tmp_path / "home")
    yield hub
    hub.close()


def first_sync_done(hub: SandboxHub) -> bool:
    with hub.store.session() as session:
        inbox = session.query(FolderRow).filter_by(account_id=hub.account_id, name="INBOX").one_or_none()
        return inbox is not None and inbox.synced_at is not None


async def test_idle_wakes_on_delivery_and_stores_the_new_mail(hub: SandboxHub) -> None:
    hub.deliver(make_message("绑定前的邮件"))
    await hub.bind()
    events: list[tuple[str, dict]] = []
    worker = AccountSync(hub.store, hub.vault, hub.account_id, publish=lambda k, _a, d: events.append((k, d)))
    task = asyncio.create_task(worker.run())
    try:
        await wait_until(lambda: first_sync_done(hub), timeout=20)
        assert hub.subjects() == ["绑定前的邮件"]
        latencies = []
        for n in range(5):
            hub.deliver(make_message(f"新邮件 {n}"))
            latencies.append(await wait_until(lambda n=n: f"新邮件 {n}" in hub.subjects(), timeout=20))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(worker.login_attempts) == 1  # one session, kept: every delivery came through IDLE
    assert sum(1 for kind, data in events if kind == "mail.new" and data["folder"] == "INBOX") == 6
    print(f"IDLE delivery → stored: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s")


async def test_mail_arriving_between_the_sync_and_idle_is_stored_at_once(hub: SandboxHub) -> None:
    """A delivery after INBOX was synced but before the SELECT that IDLE follows is counted by that SELECT,
    so IDLE never announces it: the worker must fetch it before idling (found by `mailhub demo`)."""
    await hub.bind()
    worker = AccountSync(hub.store, hub.vault, hub.account_id)
    sync_all = worker._sync_all

    async def sync_then_deliver(*args, **kwargs):
        report = await sync_all(*args, **kwargs)
        hub.deliver(make_message("同步与 IDLE 之间到达"))
        return report

    worker._sync_all = sync_then_deliver  # orders the race on a real server; nothing else is replaced
    task = asyncio.create_task(worker.run())
    try:
        await wait_until(lambda: "同步与 IDLE 之间到达" in hub.subjects(), timeout=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(worker.login_attempts) == 1


async def test_an_inconsistent_server_view_never_deletes_stored_mail(hub: SandboxHub) -> None:
    """After another session's STORE, the sandbox's re-SELECT currently lists fewer UIDs than it counts;
    the engine must not take that as an expunge."""
    for n in range(3):
        hub.deliver(make_message(f"邮件 {n}"))
    await hub.bind()
    await AccountSync(hub.store, hub.vault, hub.account_id).sync_once()
    phone = await ImapSession.open("imap.qiye.aliyun.com", 993, "ssl", hub.address, hub.client_password)
    session = await ImapSession.open("imap.qiye.aliyun.com", 993, "ssl", hub.address, hub.client_password)
    try:
        await session.select("INBOX")
        await phone.select("INBOX")
        await phone.uid_store("1", "+FLAGS.SILENT (\\Seen)")
        await sync_folder(session, hub.store, hub.account_id, Folder("INBOX", (), None), since=None)
    finally:
        await phone.logout()
        await session.logout()
    assert hub.subjects() == ["邮件 0", "邮件 1", "邮件 2"]
