"""The supervisor: one worker set per active account, started and stopped as accounts come and go.

It notices changes made by any process (the CLI, the API, a worker) by polling the accounts table cheaply:
every ``probe`` seconds one aggregate row (count, newest ``updated_at``, highest id), and the full
``id, status, updated_at`` list only when that moved (or every ``poll`` seconds as a safety net). It is the
one place that turns the status history into ``account.status`` events, so every status change is reported
once, whoever made it (a worker's own ``account.status`` only makes it look now).

Which accounts run: 正常 and 异常 (a worker in 异常 retries slowly and recovers by itself); 已暂停 and deleted
accounts are stopped at once (queued mail held or cancelled); 验证中 is left as it is until it settles.
Workers restart only when it helps: new servers, an account brought back from 异常 by someone else, or a
worker that ended on its own once its account changes; never in a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import Vault
from mailhub.runtime.events import EventLog
from mailhub.runtime.workers import CRASH_PAUSES, WorkerFactory, WorkerSet, account_workers
from mailhub.store import AccountRow, StatusChangeRow, Store
from mailhub.store.event_models import EventRow
from mailhub.store.models import utcnow

log = logging.getLogger("mailhub.runtime")

POLL = 2.0  # the full look at every account, whatever the probe says
PROBE = 0.1  # the one-row look that notices a pause in another process within ~0.1 s
STOP_TIMEOUT = 10.0
# Accounts started per look (a look comes every PROBE seconds while some wait): 2,000 accounts come up over
# ~10 s instead of 2,000 logins in the same instant (providers throttle logins per source address).
STARTS_PER_POLL = 20
STARTED = "supervisor.started"
WORKER_RECOVERED = "sync_login_recovered"  # the sync worker's own 异常 → 正常 (mailhub.sync.account_state)
HISTORY_CHUNK = 500  # accounts per status-history query
RUNNING = frozenset({AccountStatus.NORMAL.value, AccountStatus.ERROR.value})


@dataclass(frozen=True, slots=True)
class Seen:
    """What the last poll saw of an account (``created_at`` tells a reused id from the same account)."""

    status: str
    updated_at: datetime
    created_at: datetime


class Supervisor:
    """Runs the workers of every active account and reports what happens through one ``EventLog``."""

    def __init__(
        self,
        store: Store,
        vault: Vault,
        events: EventLog,
        *,
        workers: WorkerFactory = account_workers,
        poll: float = POLL,
        probe: float = PROBE,
        stop_timeout: float = STOP_TIMEOUT,
        crash_pauses: tuple[float, ...] = CRASH_PAUSES,
        starts_per_poll: int = STARTS_PER_POLL,
    ) -> None:
        self.store = store
        self.vault = vault
        self.events = events
        self._factory = workers
        self.poll = poll
        self.probe = probe
        self._starts_waiting = False
        self.stop_timeout = stop_timeout
        self._crash_pauses = crash_pauses
        self.starts_per_poll = starts_per_poll
        self._starts_left = starts_per_poll
        self.sets: dict[int, WorkerSet] = {}
        self._seen: dict[int, Seen] = {}
        self._emails: dict[int, str] = {}
        self._history_cursor: dict[int, int] = {}
        self._last_reason: dict[int, str] = {}  # the reason of the newest status change seen per account
        self._errored: set[int] = set()  # running accounts seen in 异常 since their workers started
        self._poke = asyncio.Event()
        self._first_run = True

    def __repr__(self) -> str:
        return f"Supervisor(accounts_running={len(self.sets)})"

    # -- what workers get ------------------------------------------------------------------------------

    def publish(self, kind: str, account_id: int | None, data: dict[str, Any]) -> None:
        """The ``publish`` handed to workers: into the event log, waking whoever has work because of it."""
        if kind == "account.status":
            # The worker also wrote the status history; the supervisor reports that row (once), right now.
            self.poke()
            return
        try:
            self.events.publish(kind, account_id, data)
        except Exception:  # the worker's own work matters more than its report (e.g. a locked database)
            log.exception("account %s: could not record %s", account_id, kind)
        if kind == "outbox.queued" and account_id in self.sets:
            self.sets[account_id].wake("outbox")

    def poke(self) -> None:
        """Look at the accounts table now instead of at the next poll (e.g. after a pause made here)."""
        self._poke.set()

    def running(self) -> dict[int, list[str]]:
        """Account id → names of its live workers."""
        return {aid: sorted(n for n, t in ws.tasks.items() if not t.done()) for aid, ws in self.sets.items()}

    # -- the loop --------------------------------------------------------------------------------------

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            last_probe, last_full = None, -math.inf
            while True:
                try:
                    probe = self._probe()
                    due = loop.time() - last_full >= self.poll
                    if probe != last_probe or due or self._poke.is_set() or self._starts_waiting:
                        self._poke.clear()
                        await self.refresh()
                        last_probe, last_full = probe, loop.time()
                except Exception:  # a database hiccup must not stop every account's workers
                    log.exception("supervisor: looking at the accounts failed; trying again")
                    await asyncio.sleep(self.poll)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._poke.wait(), min(self.probe, self.poll))
        finally:
            await self.stop_all()

    def _probe(self) -> tuple[Any, ...]:
        """One cheap row that changes whenever an account is added, deleted or changed."""
        with self.store.session() as session:
            query = select(func.count(AccountRow.id), func.max(AccountRow.updated_at), func.max(AccountRow.id))
            return tuple(session.execute(query).one())

    async def refresh(self) -> None:
        """One look at the accounts table: report status changes, start and stop worker sets."""
        with self.store.session() as session:
            columns = (AccountRow.id, AccountRow.status, AccountRow.updated_at, AccountRow.created_at)
            rows = session.execute(select(*columns))
            now = {r.id: Seen(r.status, r.updated_at, r.created_at) for r in rows}
        if self._first_run:
            self._start_cursors(now)
            self._cancel_orphans()  # mail of accounts deleted while nothing ran
            self._first_run = False
        stopping: list[WorkerSet] = []
        self._starts_left = self.starts_per_poll
        self._starts_waiting = False
        for account_id, seen in list(self._seen.items()):
            current = now.get(account_id)
            if current is None or current.created_at != seen.created_at:
                stopping += self._gone(account_id)
        self._report_history([aid for aid, seen in now.items() if self._seen.get(aid) != seen])
        for account_id, seen in now.items():
            stopping += self._apply(account_id, seen, self._seen.get(account_id))
        self._seen = now
        if stopping:
            await asyncio.gather(*(ws.wait(self.stop_timeout) for ws in stopping))

    async def stop_all(self) -> None:
        sets = list(self.sets.values())
        self.sets.clear()
        for worker_set in sets:
            worker_set.cancel()
        await asyncio.gather(*(ws.wait(self.stop_timeout) for ws in sets))

    # -- starting and stopping -------------------------------------------------------------------------

    def _apply(self, account_id: int, seen: Seen, before: Seen | None) -> list[WorkerSet]:
        """Start or stop this account's workers to match its status; returns sets being stopped."""
        current = self.sets.get(account_id)
        if seen.status == AccountStatus.PAUSED.value:
            if current is None and before is not None and before.status == seen.status:
                return []
            stopped = self._stop(account_id, "paused")
            self._hold_outbox(account_id)
            return stopped
        if seen.status not in RUNNING:
            return []  # 验证中: leave it as it is until it settles
        if current is None:
            if self._starts_left > 0:  # the rest start at the next look: logins are spread out
                self._starts_left -= 1
                self._start(account_id, self._fingerprint(account_id))
            else:
                self._starts_waiting = True
            return []
        if seen.status == AccountStatus.ERROR.value:
            self._errored.add(account_id)
        elif account_id in self._errored and self._last_reason.get(account_id) != WORKER_RECOVERED:
            # 异常 → 正常 by someone else (a verification, an edit): the sync worker may be waiting up to an
            # hour before its next try; start afresh now. (Its own recovery needs nothing.)
            stopped = self._stop(account_id, "recovered")
            self._start(account_id, self._fingerprint(account_id))
            return stopped
        else:
            self._errored.discard(account_id)
        if before is not None and before.updated_at != seen.updated_at:
            fingerprint = self._fingerprint(account_id)
            if fingerprint != current.fingerprint:  # new servers or login name: reconnect with them
                stopped = self._stop(account_id, "settings_changed")
                self._start(account_id, fingerprint)
                return stopped
            if current.finished():
                # A worker that returned on its own (it saw a pause we did not) runs again once the account
                # changes; never sooner, so a worker that keeps returning cannot become a login loop.
                stopped = self._stop(account_id, "restarted")
                self._start(account_id, fingerprint)
                return stopped
        return []

    def _start(self, account_id: int, fingerprint: tuple[Any, ...]) -> None:
        self._errored.discard(account_id)
        self._release_outbox(account_id)
        try:
            workers = self._factory(self.store, self.vault, account_id, self.publish)
        except Exception:  # e.g. an account whose settings a worker cannot use: the others still run
            log.exception("account %s: could not create its workers", account_id)
            return
        worker_set = WorkerSet(
            account_id, workers, self.publish, crash_pauses=self._crash_pauses, fingerprint=fingerprint
        )
        self.sets[account_id] = worker_set
        worker_set.start()
        log.info("account %s: started %s", account_id, ", ".join(sorted(workers)))
        self.events.publish("worker.started", account_id, {"workers": sorted(workers)})

    def _stop(self, account_id: int, reason: str) -> list[WorkerSet]:
        worker_set = self.sets.pop(account_id, None)
        if worker_set is None:
            return []
        worker_set.cancel()
        log.info("account %s: stopped (%s)", account_id, reason)
        self.events.publish("worker.stopped", account_id, {"reason": reason})
        return [worker_set]

    def _gone(self, account_id: int) -> list[WorkerSet]:
        """The account was deleted: stop its workers, cancel its waiting mail, report it."""
        stopped = self._stop(account_id, "deleted")
        self._history_cursor.pop(account_id, None)
        self._last_reason.pop(account_id, None)
        self._errored.discard(account_id)
        email = self._emails.pop(account_id, None)
        self.events.publish("account.deleted", account_id, {"email": email})
        self._cancel_orphans()
        return stopped

    def _fingerprint(self, account_id: int) -> tuple[Any, ...]:
        """Where and as whom the workers connect; a change restarts them. A new password alone does not: the
        sync worker notices it itself (and an account brought back from 异常 is restarted anyway)."""
        with self.store.session() as session:
            row = session.get(AccountRow, account_id)
            if row is None:
                return ()
            self._emails[account_id] = row.email
            return (
                row.imap_host,
                row.imap_port,
                row.imap_tls,
                row.smtp_host,
                row.smtp_port,
                row.smtp_tls,
                row.username,
                row.sync_days,
            )

    # -- status history → events -----------------------------------------------------------------------

    def _start_cursors(self, now: dict[int, Seen]) -> None:
        """Where reporting starts: after the last change reported per account. An account with none reported
        gets the changes made since the supervisor first ran (``supervisor.started``); on the very first run,
        the history so far is not replayed as new."""
        with self.store.session() as session:
            reported = dict(
                session.execute(
                    select(EventRow.account_id, func.max(EventRow.status_change_id))
                    .where(EventRow.status_change_id.is_not(None))
                    .group_by(EventRow.account_id)
                ).all()
            )
            first_start = session.scalar(select(func.min(EventRow.at)).where(EventRow.kind == STARTED))
            history = session.execute(select(StatusChangeRow.account_id, StatusChangeRow.id, StatusChangeRow.at)).all()
        since = _utc(first_start) if first_start is not None else utcnow()
        cursors = {aid: int(reported.get(aid) or 0) for aid in now}
        for account_id, change_id, at in history:
            if account_id in cursors and account_id not in reported and _utc(at) < since:
                cursors[account_id] = max(cursors[account_id], change_id)
        self._history_cursor = cursors
        self._seen = {}
        self.events.publish(STARTED, None, {"pid": os.getpid(), "accounts": len(now)})

    def _report_history(self, account_ids: list[int]) -> None:
        """Publish the new status-history rows of these accounts, oldest first (a few queries, not one each)."""
        for first in range(0, len(account_ids), HISTORY_CHUNK):
            chunk = account_ids[first : first + HISTORY_CHUNK]
            low = min(self._history_cursor.get(aid, 0) for aid in chunk)
            with self.store.session() as session:
                changes = session.scalars(
                    select(StatusChangeRow)
                    .where(StatusChangeRow.account_id.in_(chunk), StatusChangeRow.id > low)
                    .order_by(StatusChangeRow.id)
                ).all()
                emails = session.execute(select(AccountRow.id, AccountRow.email).where(AccountRow.id.in_(chunk)))
                self._emails.update({aid: email for aid, email in emails})
            for change in changes:
                if change.id <= self._history_cursor.get(change.account_id, 0):
                    continue
                data = {
                    "email": self._emails.get(change.account_id),
                    "from": change.from_status,
                    "to": change.to_status,
                    "reason": change.reason,
                    "diagnosis_code": change.diagnosis_code,
                    "at": change.at.isoformat(),
                }
                self.events.publish_status_change(change.id, change.account_id, data)
                self._history_cursor[change.account_id] = change.id
                self._last_reason[change.account_id] = change.reason

    # -- the outbox's part in pause, resume, delete ----------------------------------------------------

    def _hold_outbox(self, account_id: int) -> None:
        from mailhub.outbox import queue

        queue.hold_account(self.store, account_id, self.publish)

    def _release_outbox(self, account_id: int) -> None:
        from mailhub.outbox import queue

        queue.release_account(self.store, account_id, self.publish)

    def _cancel_orphans(self) -> None:
        from mailhub.outbox import queue

        queue.cancel_orphans(self.store)


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the hub stores UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
