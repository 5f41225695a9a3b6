"""Revoking the client password while the account idles: 异常 (password_wrong_or_revoked) within seconds,
at most 3 login attempts in the next 10 minutes (on a virtual clock), and recovery once the password is fixed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sync_hub import SandboxHub, make_message, wait_until

from mailhub.accounts.status import AccountStatus
from mailhub.store import AccountRow
from mailhub.store.mail_models import FolderRow
from mailhub.sync.backoff import Timing
from mailhub.sync.engine import AccountSync, SyncOptions


class VirtualTime:
    """A clock that each of the worker's waits advances by the full wait while taking only 10 ms of real time:
    ten minutes of a 10-second recheck pass in about a second, and the test can watch as they pass."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0.01)


@pytest.fixture
def hub(sandbox_service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    hub = SandboxHub(sandbox_service, tmp_path / "home")
    yield hub
    hub.close()


def status(hub: SandboxHub) -> tuple[str, str | None]:
    with hub.store.session() as session:
        row = session.get_one(AccountRow, hub.account_id)
        return row.status, row.diagnosis_code


def idling(hub: SandboxHub) -> bool:
    with hub.store.session() as session:
        inbox = session.query(FolderRow).filter_by(account_id=hub.account_id, name="INBOX").one_or_none()
        return inbox is not None and inbox.synced_at is not None


async def test_revoked_password_sets_error_slows_retries_and_recovers_after_edit(hub: SandboxHub) -> None:
    await hub.bind()
    time = VirtualTime()
    events: list[tuple[str, dict]] = []
    worker = AccountSync(
        hub.store,
        hub.vault,
        hub.account_id,
        publish=lambda kind, _account, data: events.append((kind, data)),
        timing=Timing(clock=time.clock, sleep=time.sleep),
        options=SyncOptions(recheck_seconds=10.0),
    )
    task = asyncio.create_task(worker.run())
    try:
        await wait_until(lambda: idling(hub), timeout=20)
        security = hub.running.sandbox.security
        password_id = security.list_client_passwords(hub.address)[-1].id
        before = len(worker.login_attempts)
        hub.running.sandbox.delete_client_password(hub.address, password_id)  # 删除: revoked at once

        took = await wait_until(lambda: status(hub)[0] == AccountStatus.ERROR, timeout=20)
        assert took < 5.0
        assert status(hub) == (AccountStatus.ERROR, "password_wrong_or_revoked")
        refused_at = worker.login_attempts[before]  # the reconnect after the server ended the session
        await wait_until(lambda: time.now > refused_at + 600, timeout=30)
        in_ten_minutes = [t for t in worker.login_attempts if refused_at <= t <= refused_at + 600]
        assert len(in_ten_minutes) <= 3
        # 5 min, then 15 min: the third attempt comes at 20 min
        assert [round(t - refused_at) for t in in_ten_minutes] == [0, 300]
        status_events = [data for kind, data in events if kind == "account.status"]
        assert status_events == [
            {
                "from": "normal",
                "to": "error",
                "reason": "sync_login_refused",
                "diagnosis_code": "password_wrong_or_revoked",
            }
        ]

        # The user makes a new client password and edits the account; the worker picks it up by itself.
        new_password = hub.running.new_client_password(hub.address, "mailhub 2")
        result = await hub.service.edit(hub.account_id, password=new_password)
        assert result.ok
        hub.deliver(make_message("恢复后的邮件"))
        await wait_until(lambda: "恢复后的邮件" in hub.subjects(), timeout=20)
        assert status(hub) == (AccountStatus.NORMAL, None)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
