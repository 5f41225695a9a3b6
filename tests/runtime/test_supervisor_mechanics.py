"""A worker that crashes is restarted after a pause and reported; the other accounts' workers never notice.

The crashing worker is a test double (a real worker that crashes on demand does not exist); the account,
the store and the supervisor are real.
"""

from __future__ import annotations

import asyncio
import contextlib

from runtime_support import eventually

from mailhub.runtime import Runtime


class CrashesOnce:
    """Raises on its first run, then runs until cancelled."""

    def __init__(self) -> None:
        self.runs = 0
        self.cancelled = False

    async def run_forever(self) -> None:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("a bug")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_a_crashed_worker_is_restarted_and_reported(hub) -> None:
    account_id, _address = await hub.bind("ivan")
    made: list[CrashesOnce] = []

    def workers(_store, _vault, _account_id, _publish):
        made.append(CrashesOnce())
        return {"sync": made[-1]}

    runtime = Runtime(hub.service, poll=0.1, workers=workers, crash_pauses=(0.01,))
    task = asyncio.create_task(runtime.run())
    try:
        await eventually(lambda: made and made[0].runs == 2, what="the restart")
        crashed = [e for e in runtime.events.since(0, account_id=account_id) if e.kind == "worker.crashed"]
        assert [e.data["worker"] for e in crashed] == ["sync"] and crashed[0].data["error"] == "RuntimeError"
        assert len(made) == 1  # restarted in place, not a new worker set
        hub.service.pause(account_id)
        await eventually(lambda: made[0].cancelled, what="the worker to be cancelled on pause")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Waits:
    """Runs until cancelled."""

    async def run_forever(self) -> None:
        await asyncio.Event().wait()


async def test_accounts_start_a_few_per_poll_so_logins_are_spread_out(hub) -> None:
    ids = [(await hub.bind(name))[0] for name in ("judy", "ken", "leo")]

    def workers(_store, _vault, _account_id, _publish):
        return {"sync": Waits()}

    runtime = Runtime(hub.service, workers=workers)
    supervisor = runtime.supervisor
    supervisor.starts_per_poll = 2
    try:
        await supervisor.refresh()
        assert sorted(supervisor.running()) == ids[:2]
        await supervisor.refresh()
        assert sorted(supervisor.running()) == ids
    finally:
        await supervisor.stop_all()


def test_pruning_keeps_cursors_growing(hub_home) -> None:
    from datetime import timedelta

    from mailhub.runtime.events import EventLog
    from mailhub.store import open_store
    from mailhub.store.models import utcnow

    store = open_store()
    try:
        log = EventLog(store)
        old = [log.publish("mail.new", 1, {"n": n}) for n in range(3)]
        assert log.prune(utcnow() + timedelta(seconds=1)) == 3
        assert log.since(0) == []
        assert log.publish("mail.new", 1, {}).id > old[-1].id  # never an id a cursor has already passed
    finally:
        store.close()


class ReturnsAtOnce:
    """Ends on its own (as the sync worker does when it finds the account paused)."""

    async def run_forever(self) -> None:
        return None


async def test_a_worker_that_ended_runs_again_only_after_the_account_changes(hub) -> None:
    account_id, _address = await hub.bind("nina")
    made: list[ReturnsAtOnce] = []

    def workers(_store, _vault, _account_id, _publish):
        made.append(ReturnsAtOnce())
        return {"sync": made[-1]}

    supervisor = Runtime(hub.service, workers=workers).supervisor
    try:
        await supervisor.refresh()
        await eventually(lambda: supervisor.sets[account_id].finished(), what="the worker to end")
        for _ in range(3):
            await supervisor.refresh()
        assert len(made) == 1  # no restart loop

        await hub.service.verify(account_id)  # 正常 → 验证中 → 正常: the account changed
        await supervisor.refresh()
        assert len(made) == 2
    finally:
        await supervisor.stop_all()
