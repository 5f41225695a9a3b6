"""Group commit: the worker's connections ask for small writes (this message reached the end of DATA, that
one was accepted) and one transaction carries all the writes asked for while the last one ran.

Durability stays per message (``write`` returns only once its change is committed; ``write_soon`` is for a
write that may ride in the next transaction, and if that fails, every later write and ``flush`` fail); what
is shared is the commit. With one connection this is one commit per write, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import Connection

from mailhub.store import Store

Write = Callable[[Connection], None]
Then = Callable[[], None]


class GroupCommit:
    """Batches writes from many tasks on one event loop into few transactions."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[tuple[Write, asyncio.Future[None] | Then | None]] = []
        self._task: asyncio.Task[None] | None = None
        self._failed: BaseException | None = None  # a failed transaction that carried writes nobody awaited
        self.commits = 0
        self.writes = 0

    def __repr__(self) -> str:
        return f"GroupCommit(commits={self.commits}, writes={self.writes})"

    async def write(self, work: Write) -> None:
        """Run ``work`` in a transaction and return once it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._add(work, future)
        await future

    def write_soon(self, work: Write, then: Then | None = None) -> None:
        """Run ``work`` in the next transaction without waiting for it (``flush`` waits); ``then`` is called
        once it is committed (never if the transaction fails)."""
        self._add(work, then)

    async def flush(self) -> None:
        """Wait until every write asked for so far is committed (re-raising a failed transaction)."""
        while self._task is not None:
            task = self._task
            await asyncio.shield(task) if not task.done() else task.result()
            if self._task is task:
                self._task = None
        if self._failed is not None:
            raise self._failed

    def _add(self, work: Write, future: asyncio.Future[None] | Then | None) -> None:
        if self._failed is not None:  # writes nobody waited for were lost: nothing more goes on top
            raise self._failed
        self._pending.append((work, future))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._commit_all(), name="outbox-group-commit")

    async def _commit_all(self) -> None:
        await asyncio.sleep(0)  # let every connection that is ready add its write first
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                with self._store.engine.begin() as connection:  # Core: no ORM session on this path
                    for work, _ in batch:
                        work(connection)
            except BaseException as exc:
                futures = [f for _, f in batch if isinstance(f, asyncio.Future)]
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                if len(futures) < len(batch):  # ``write_soon`` writes were lost: every later call fails
                    self._failed = exc
                continue
            self.commits += 1
            self.writes += len(batch)
            for _, future in batch:
                if isinstance(future, asyncio.Future):
                    if not future.done():
                        future.set_result(None)
                elif future is not None:
                    future()
