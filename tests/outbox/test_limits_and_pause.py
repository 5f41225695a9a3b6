"""Per-account rate and daily quota (checked on the send times the worker records), and pause/resume/delete."""

from __future__ import annotations

from dataclasses import replace

from outbox_support import FAST, FOREIGN, Events, OutboxHub

from mailhub.outbox import OutboxState, get_entry, limit_for, list_entries, set_limits
from mailhub.outbox.limits import FALLBACK_PER_DAY, FALLBACK_PER_MINUTE, catalog_limit


def test_defaults_come_from_the_catalog() -> None:
    assert catalog_limit("tencent-exmail").per_day == 500
    assert catalog_limit("microsoft-365").per_minute == 30
    alibaba = catalog_limit("aliyun-standard")  # limits exist but are unpublished
    assert (alibaba.per_minute, alibaba.per_day, alibaba.source) == (FALLBACK_PER_MINUTE, FALLBACK_PER_DAY, "fallback")


async def test_the_rate_per_minute_is_kept(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("ivan")
    set_limits(hub.store, account_id, per_minute=3, per_day=None)
    assert limit_for(hub.store, account_id).per_minute == 3
    entries = [hub.queue(account_id, sender, f"r{i}@{FOREIGN}") for i in range(8)]
    minute = 0.4  # a shortened "minute" so the test takes about a second

    report = await hub.worker(account_id, options=replace(FAST, minute=minute)).run_once()

    assert report.sent == 8
    times = sorted(get_entry(hub.store, e.id).sent_at.timestamp() for e in entries)
    # No 4 sends inside one minute: the 4th after any send comes at least a minute later.
    assert all(times[i + 3] - times[i] >= minute - 0.01 for i in range(len(times) - 3)), times


async def test_the_daily_quota_stops_sending_and_keeps_the_rest(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("judy")
    set_limits(hub.store, account_id, per_minute=None, per_day=2)
    for i in range(5):
        hub.queue(account_id, sender, f"q{i}@{FOREIGN}")

    report = await hub.worker(account_id).run_once()
    again = await hub.worker(account_id).run_once()  # a new run counts what was sent today from the store

    assert (report.sent, report.stopped) == (2, "daily_quota")
    assert (again.sent, again.stopped) == (0, "daily_quota")
    states = sorted(e.state.value for e in list_entries(hub.store, account_id=account_id))
    assert states == ["queued", "queued", "queued", "sent", "sent"]


async def test_pause_holds_resume_sends_delete_cancels(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("kim")
    events = Events()
    hub.service.pause(account_id)
    held = hub.queue(account_id, sender, f"p@{FOREIGN}")
    assert held.state == OutboxState.HELD

    report = await hub.worker(account_id, publish=events).run_once()
    assert (report.stopped, report.sent) == ("paused", 0)
    assert hub.running.sandbox.outbound.count() == 0 and get_entry(hub.store, held.id).state == OutboxState.HELD

    result = await hub.service.resume(account_id)
    assert result.ok
    report = await hub.worker(account_id, publish=events).run_once()
    assert report.sent == 1 and get_entry(hub.store, held.id).state == OutboxState.SENT
    assert events.kinds()[:2] == ["outbox.queued", "outbox.sending"]  # released, then sent

    waiting = hub.queue(account_id, sender, f"later@{FOREIGN}")
    hub.service.delete(account_id)
    report = await hub.worker(account_id).run_once()
    assert report.stopped == "deleted"
    gone = get_entry(hub.store, waiting.id)
    assert gone.state == OutboxState.CANCELLED and gone.account_id is None
    assert hub.running.sandbox.outbound.count() == 1


async def test_pausing_mid_queue_holds_what_is_left(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("leo")
    entries = [hub.queue(account_id, sender, f"m{i}@{FOREIGN}") for i in range(5)]
    paused_after = 2

    def publish(kind: str, _account: int | None, _data: dict) -> None:
        if kind == "outbox.sent" and hub.running.sandbox.outbound.count() == paused_after:
            hub.service.pause(account_id)  # the person presses 暂停 while the worker is sending

    one_connection = replace(FAST, connections=1)  # with more, messages already on their way still go
    report = await hub.worker(account_id, one_connection, publish=publish).run_once()

    assert (report.sent, report.stopped) == (paused_after, "paused")
    states = [get_entry(hub.store, e.id).state for e in entries]
    assert states == [OutboxState.SENT] * 2 + [OutboxState.HELD] * 3


async def test_run_forever_sends_what_becomes_due_until_cancelled(hub: OutboxHub) -> None:
    import asyncio

    account_id, sender = await hub.bind("forever")
    worker = hub.worker(account_id)
    task = asyncio.create_task(worker.run_forever(poll=0.05))
    try:
        first = hub.queue(account_id, sender, f"one@{FOREIGN}")
        second = hub.queue(account_id, sender, f"two@{FOREIGN}")
        async with asyncio.timeout(20):  # an upper bound against a hang
            while {get_entry(hub.store, e.id).state for e in (first, second)} != {OutboxState.SENT}:
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
    assert hub.running.sandbox.outbound.count() == 2
