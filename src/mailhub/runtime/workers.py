"""One account's workers (its IMAP sync and its outbox), run as tasks that the supervisor starts and cancels.

A worker is anything with ``async run_forever()`` that runs until cancelled; a worker that crashes is
restarted after a growing pause (and reported as ``worker.crashed``), one that returns is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from mailhub.accounts.vault import Vault
from mailhub.runtime.events import Publish
from mailhub.store import Store

log = logging.getLogger("mailhub.runtime")

CRASH_PAUSES: tuple[float, ...] = (5, 15, 60, 300)  # before restarting a crashed worker (the last one repeats)


class Worker(Protocol):
    async def run_forever(self) -> None: ...


# (store, vault, account_id, publish) -> the account's workers, by name ("sync", "outbox").
WorkerFactory = Callable[[Store, Vault, int, Publish], dict[str, Worker]]


def account_workers(store: Store, vault: Vault, account_id: int, publish: Publish) -> dict[str, Worker]:
    """The real workers: ``AccountSync`` (mail in) and ``OutboxWorker`` (mail out)."""
    from mailhub.outbox.worker import OutboxWorker
    from mailhub.sync.engine import AccountSync

    made = {
        "sync": AccountSync(store, vault, account_id, publish=publish),
        "outbox": OutboxWorker(store, vault, account_id, publish=publish),
    }
    return {name: worker for name, worker in made.items() if _runnable(name, worker)}


def runner(worker: Any) -> Callable[[], Awaitable[None]] | None:
    """The worker's run-until-cancelled method: ``run_forever`` (the sync worker's ``run`` is the same)."""
    for name in ("run_forever", "run"):
        method = getattr(worker, name, None)
        if callable(method):
            return method
    return None


_WARNED: set[str] = set()


def _runnable(name: str, worker: Any) -> bool:
    if runner(worker) is None:
        if name not in _WARNED:  # once, not once per account
            _WARNED.add(name)
            log.warning("the %s worker has no run_forever(); not started", name)
        return False
    return True


class WorkerSet:
    """The running workers of one account."""

    def __init__(
        self,
        account_id: int,
        workers: dict[str, Worker],
        publish: Publish,
        *,
        crash_pauses: tuple[float, ...] = CRASH_PAUSES,
        fingerprint: tuple[Any, ...] = (),
    ) -> None:
        self.account_id = account_id
        self.workers = workers
        self.fingerprint = fingerprint
        self._publish = publish
        self._crash_pauses = crash_pauses
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.started_at = time.monotonic()
        self.crashes = 0

    def __repr__(self) -> str:
        return f"WorkerSet(account_id={self.account_id!r}, workers={sorted(self.workers)!r})"

    def start(self) -> None:
        for name, worker in self.workers.items():
            task = asyncio.create_task(self._keep_running(name, worker), name=f"account-{self.account_id}-{name}")
            self.tasks[name] = task

    def cancel(self) -> None:
        """Stop now (cancel every task); ``wait`` then lets them close their connections."""
        for task in self.tasks.values():
            task.cancel()

    async def wait(self, timeout: float) -> bool:
        """Wait for cancelled tasks to finish; False if one is still closing after ``timeout``."""
        tasks = list(self.tasks.values())
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            log.warning("account %s: %d worker(s) still closing after %.0fs", self.account_id, len(pending), timeout)
        return not pending

    def wake(self, name: str) -> None:
        """Tell a worker there is work now (e.g. new mail queued for the outbox), if it listens."""
        worker = self.workers.get(name)
        wake = getattr(worker, "wake", None)
        if callable(wake):
            wake()

    def alive(self) -> bool:
        return any(not task.done() for task in self.tasks.values())

    def finished(self) -> bool:
        """Whether one of the workers has ended (returned, or was cancelled)."""
        return any(task.done() for task in self.tasks.values())

    async def _keep_running(self, name: str, worker: Worker) -> None:
        failures = 0
        while True:
            try:
                run = runner(worker)
                if run is None:
                    return
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a bug in one worker must not take down the others
                pause = self._crash_pauses[min(failures, len(self._crash_pauses) - 1)]
                failures += 1
                self.crashes += 1
                log.exception("account %s: %s worker crashed; restarting in %.0fs", self.account_id, name, pause)
                data = {"worker": name, "error": type(error).__name__, "restart_in": pause}
                try:
                    self._publish("worker.crashed", self.account_id, data)
                except Exception:
                    log.exception("account %s: could not publish worker.crashed", self.account_id)
                await asyncio.sleep(pause)
