"""Group commit: the worker's connections ask for small writes (this message reached the end of DATA, that
one was accepted) and one transaction carries all the writes asked for while the last one ran.

Durability stays per message (``write`` returns only once its change is committed; ``write_soon`` is for a
write that may ride in the next transaction, and if that fails, every later write and ``flush`` fail); what
is shared is the commit. With one connection this is one commit per write, as before.

A write may carry a ``then``: it runs right after the commit, before any other task on the loop gets a
turn. The end-of-DATA mark uses it to send the final "." in the same breath as its commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from mailhub.store import Store

T = TypeVar("T")
Write = Callable[[Connection], Any]
Then = Callable[[Any], None]

log = logging.getLogger("mailhub.outbox")


@dataclass(slots=True)
class _Pending:
    work: Write
    then: Then | None
    future: asyncio.Future[Any] | None  # None: a ``write_soon`` nobody awaits
    result: Any = None


class GroupCommit:
    """Batches writes from many tasks on one event loop into few transactions."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None
        self._failed: BaseException | None = None  # a failed transaction that carried writes nobody awaited
        self.commits = 0
        self.writes = 0

    def __repr__(self) -> str:
        return f"GroupCommit(commits={self.commits}, writes={self.writes})"

    async def write(self, work: Callable[[Connection], T], then: Callable[[T], None] | None = None) -> T:
        """Run ``work`` in a transaction and return its result once committed. ``then(result)`` runs right
        after the commit with no await in between; if it raises, this call raises that."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._add(_Pending(work, then, future))
        return await future

    def write_soon(self, work: Write, then: Callable[[], None] | None = None) -> None:
        """Run ``work`` in the next transaction without waiting for it (``flush`` waits); ``then`` is called
        once it is committed (never if the transaction fails)."""
        self._add(_Pending(work, (lambda _result: then()) if then else None, None))

    async def flush(self) -> None:
        """Wait until every write asked for so far is committed (re-raising a failed transaction)."""
        while self._task is not None:
            task = self._task
            await asyncio.shield(task) if not task.done() else task.result()
            if self._task is task:
                self._task = None
        if self._failed is not None:
            raise self._failed

    def _add(self, pending: _Pending) -> None:
        if self._failed is not None:  # writes nobody waited for were lost: nothing more goes on top
            raise self._failed
        self._pending.append(pending)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._commit_all(), name="outbox-group-commit")

    async def _commit_all(self) -> None:
        await asyncio.sleep(0)  # let every connection that is ready add its write first
        while self._pending:
            batch, self._pending = self._pending, []
            with self._store.engine.connect() as connection:  # Core: no ORM session on this path
                try:
                    with connection.begin():
                        for item in batch:
                            item.result = item.work(connection)
                except BaseException as exc:
                    self._fail(batch, exc)
                    continue
                # Every ``then`` right after the commit, before the connection goes back to its pool: the
                # commit and what must follow it are split by as little as possible.
                errors = [self._run_then(item) for item in batch]
            self.commits += 1
            self.writes += len(batch)
            for item, error in zip(batch, errors, strict=True):
                if item.future is None or item.future.done():
                    continue
                if error is None:
                    item.future.set_result(item.result)
                else:
                    item.future.set_exception(error)

    def _fail(self, batch: list[_Pending], exc: BaseException) -> None:
        futures = [item.future for item in batch if item.future is not None]
        for future in futures:
            if not future.done():
                future.set_exception(exc)
        if len(futures) < len(batch):  # ``write_soon`` writes were lost: every later call fails
            self._failed = exc

    @staticmethod
    def _run_then(item: _Pending) -> BaseException | None:
        if item.then is None:
            return None
        try:
            item.then(item.result)
        except Exception as exc:  # goes to the one who asked; the other writes of the batch are unaffected
            if item.future is None:
                log.warning("after-commit step failed: %r", exc)
            return exc
        return None
