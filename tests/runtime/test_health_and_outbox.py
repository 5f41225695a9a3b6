"""Health checks (an account shown as 正常 whose worker cannot keep a session is verified again) and the
outbox's part in pause and delete (queued mail held, then cancelled), with the real workers and the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import UTC, datetime, timedelta

from runtime_support import DOMAIN, eventually

from mailhub.accounts import AccountStatus
from mailhub.outbox import Draft, compose, enqueue, get_entry
from mailhub.runtime import Runtime


@contextlib.asynccontextmanager
async def running(runtime: Runtime):
    task = asyncio.create_task(runtime.run())
    try:
        yield runtime
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_healthy_account_costs_no_extra_login(hub) -> None:
    account_id, address = await hub.bind("dora")
    runtime = Runtime(hub.service, poll=0.1, health_interval=3600)
    async with running(runtime):
        await eventually(lambda: hub.imap_sessions() == 1, what="the sync session")
        logins = hub.imap_logins(address)
        assert await runtime.health.check_once() == []
        assert hub.imap_logins(address) == logins
        assert hub.service.get(account_id).status == AccountStatus.NORMAL


async def test_a_normal_account_whose_worker_cannot_connect_is_verified_and_set_to_error(hub, monkeypatch) -> None:
    account_id, _address = await hub.bind("carol")
    port = _closed_port()  # the provider "goes away": every connection is refused
    monkeypatch.setenv(
        "MAILHUB_RESOLVE", f"imap.qiye.aliyun.com:993=127.0.0.1:{port},smtp.qiye.aliyun.com:465=127.0.0.1:{port}"
    )
    runtime = Runtime(hub.service, poll=0.1, health_interval=3600)
    async with running(runtime):
        worker_set = await eventually(lambda: runtime.supervisor.sets.get(account_id), what="the worker set")
        sync = worker_set.workers["sync"]
        await eventually(lambda: len(sync.login_attempts) >= 2, what="the worker to retry")
        assert hub.service.get(account_id).status == AccountStatus.NORMAL  # nothing said so yet

        found = await runtime.health.check_once()

        assert [(f.account_id, f.reason) for f in found] == [(account_id, "reconnecting")]
        account = hub.service.get(account_id)
        assert account.status == AccountStatus.ERROR and account.diagnosis_code
        await eventually(
            lambda: (
                [e.data["to"] for e in runtime.events.since(0, account_id=account_id) if e.kind == "account.status"]
                == ["verifying", "error"]
            ),
            what="the status events",
        )
        assert account_id in runtime.supervisor.sets  # 异常 keeps its worker: it recovers by itself
        assert await runtime.health.check_once() == []  # already 异常: not verified again


async def test_pause_holds_queued_mail_resume_queues_it_again_delete_cancels_it(hub) -> None:
    account_id, address = await hub.bind("erin")
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # scheduled: no worker sends it during the test
    draft = Draft(address, to=[f"boss@{DOMAIN}"], subject="quote", text="hi")
    queued = enqueue(hub.store, account_id, compose(draft), at=tomorrow)
    runtime = Runtime(hub.service, poll=0.1)

    def state() -> str:
        return get_entry(hub.store, queued.id).state

    async with running(runtime):
        await eventually(lambda: runtime.supervisor.sets.get(account_id), what="the workers")
        assert state() == "queued"

        hub.service.pause(account_id)
        await eventually(lambda: state() == "held", what="the mail to be held")
        assert runtime.supervisor.running() == {}

        await hub.service.resume(account_id)
        await eventually(lambda: state() == "queued", what="the mail to be queued again")
        await eventually(lambda: runtime.supervisor.sets.get(account_id), what="the workers again")

        hub.service.delete(account_id)
        await eventually(lambda: state() == "cancelled", what="the mail to be cancelled")
        kinds = [e.kind for e in runtime.events.since(0, account_id=account_id)]
        assert kinds.count("outbox.held") == 1 and "outbox.queued" in kinds and kinds[-1] == "account.deleted"
        assert runtime.supervisor.running() == {}


async def test_mail_queued_while_paused_is_sent_after_resume(hub) -> None:
    account_id, address = await hub.bind("fay")
    boss = f"boss@{DOMAIN}"
    hub.running.bind_user(boss, "Boss-Passw0rd!")
    runtime = Runtime(hub.service, poll=0.1)
    async with running(runtime):
        await eventually(lambda: runtime.supervisor.running().get(account_id) == ["outbox", "sync"], what="workers")
        hub.service.pause(account_id)
        await eventually(lambda: runtime.supervisor.running() == {}, what="the workers to stop")

        draft = Draft(address, to=[boss], subject="报价单 quote", text="hello")
        entry = enqueue(hub.store, account_id, compose(draft), publish=runtime.publish)
        assert get_entry(hub.store, entry.id).state == "held"  # paused: kept, not sent

        sent = runtime.events.subscribe(account_id=account_id, kinds=("outbox.sent",))
        await hub.service.resume(account_id)
        event = await asyncio.wait_for(sent.get(), 30)
        assert event.data["outbox_id"] == entry.id
        assert get_entry(hub.store, entry.id).state == "sent"
        inbox = hub.running.sandbox.mail.get_mailbox(boss, "INBOX")
        assert len(hub.running.sandbox.mail.uids(inbox.id)) == 1
