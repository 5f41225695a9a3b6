"""The worker that sends one account's mail: reused SMTP sessions, the account's rate and daily quota,
retries with backoff for temporary failures, a stop with a diagnosis on a permanent one, a copy in Sent.

Before sending anything it settles what a crash left behind (``recovery``): never a blind resend. A few
connections (``WorkerOptions.connections``) send side by side when the account has no per-minute limit;
a rate-limited account sends over one, which is all its rate needs.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from mailhub.accounts.diagnosis import diagnose_reply
from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import SealedSecret, Vault
from mailhub.catalog.model import MailSettings, ServerSettings
from mailhub.outbox import ledger, queue
from mailhub.outbox.entries import Publish, as_utc, no_publish
from mailhub.outbox.group_commit import GroupCommit
from mailhub.outbox.limits import RateWindow, limit_for
from mailhub.outbox.recovery import SentCopies, recover
from mailhub.outbox.sent_folder import files_sent_itself
from mailhub.outbox.smtp_session import SendRefused, SendWithdrawn, SmtpSession
from mailhub.store import AccountRow, Store
from mailhub.transport.errors import TransportFailure

log = logging.getLogger("mailhub.outbox")

# A 5xx with one of these diagnoses is about the message (its size, its content), not the account.
MESSAGE_LEVEL_CODES = frozenset({"unexpected_reply"})
CLAIM_BATCH = 16  # messages claimed per transaction when no per-minute limit applies
REFUSED_PAUSE = 300.0  # seconds before an account whose sending was refused is tried again


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """``minute``: length of a rate minute in seconds (60; tests shorten it). Retries wait
    ``retry_base * 2**(n-1)`` seconds (with jitter, at most ``retry_max``) and give up after ``max_attempts``.
    ``connections``: SMTP sessions used side by side when the account has no per-minute limit."""

    minute: float = 60.0
    retry_base: float = 30.0
    retry_max: float = 3600.0
    max_attempts: int = 8
    timeout: float = 30.0
    connections: int = 4
    sent_copies: bool = True  # append to Sent where the provider does not file sent mail itself


@dataclass(slots=True)
class WorkerReport:
    """What one run did; ``stopped`` says why it ended early (paused, daily_quota, refused, ...)."""

    account_id: int
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0
    stopped: str | None = None
    diagnosis: dict[str, Any] | None = None
    sent_times: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Account:
    id: int
    email: str
    provider_id: str | None
    settings: MailSettings
    status: str
    password: str = field(repr=False)


@dataclass(slots=True)
class _Run:
    """What the connections of one run share."""

    account: _Account
    report: WorkerReport
    window: RateWindow
    commit: GroupCommit
    copies: SentCopies
    keep_copy: bool
    quota_used: bool = False
    outcomes: list[ledger.SentOutcome] = field(default_factory=list)  # accepted, to be recorded together


def _diagnosis_json(refused: SendRefused, provider_id: str | None) -> dict[str, Any]:
    diagnosis = diagnose_reply("smtp", refused.reply, provider_id=provider_id, phase=refused.phase, failure="protocol")
    return {"code": diagnosis.code, "zh": diagnosis.to_dict("zh"), "en": diagnosis.to_dict("en")}


class OutboxWorker:
    """Sends the due mail of one account. ``publish`` receives outbox.* events (none by default)."""

    def __init__(
        self,
        store: Store,
        vault: Vault,
        account_id: int,
        *,
        publish: Publish = no_publish,
        options: WorkerOptions | None = None,
    ) -> None:
        self.store = store
        self.vault = vault
        self.account_id = account_id
        self.publish = publish
        self.options = options or WorkerOptions()

    def __repr__(self) -> str:
        return f"OutboxWorker(account_id={self.account_id!r})"

    def _load(self) -> _Account | None:
        with self.store.session() as session:
            row = session.get(AccountRow, self.account_id)
            if row is None:
                return None
            settings = MailSettings(
                imap=ServerSettings(row.imap_host, row.imap_port, row.imap_tls),  # type: ignore[arg-type]
                smtp=ServerSettings(row.smtp_host, row.smtp_port, row.smtp_tls),  # type: ignore[arg-type]
                username=row.username,
            )
            stored = row.secret
            sealed = SealedSecret(stored.ciphertext, stored.nonce, stored.key_id) if stored else None
            account_id, email, provider_id, status = row.id, row.email, row.provider_id, row.status
        password = self.vault.open(account_id, sealed).reveal() if sealed else ""
        return _Account(account_id, email, provider_id, settings, status, password)

    async def run_once(self) -> WorkerReport:
        """Settle what a crash left, then send everything due now (waiting for retries this run scheduled)."""
        report = WorkerReport(self.account_id)
        account = self._load()
        if account is None:
            queue.cancel_orphans(self.store)
            report.stopped = "deleted"
            return report
        if account.status == AccountStatus.PAUSED:
            queue.hold_account(self.store, account.id, self.publish)
            report.stopped = "paused"
            return report
        if account.status != AccountStatus.NORMAL:
            report.stopped = f"account_{account.status}"
            return report
        queue.release_account(self.store, account.id, self.publish)
        imap = account.settings
        copies = SentCopies(self.store, imap.imap, imap.username, account.password, self.options.timeout)
        try:
            report.recovered = await recover(self.store, account.id, account.provider_id, copies, self.publish)
            window = RateWindow.load(
                self.store, account.id, limit_for(self.store, account.id), minute=self.options.minute
            )
            keep_copy = self.options.sent_copies and not files_sent_itself(account.provider_id)
            run = _Run(account, report, window, GroupCommit(self.store), copies, keep_copy)
            await self._send_due(run)
            await run.commit.flush()
            await copies.drain()
        finally:
            await copies.close()
        return report

    async def run_forever(self, *, poll: float = 1.0) -> None:
        """Send mail as it becomes due until cancelled (how the supervisor runs the outbox). After a
        permanent refusal it waits ``REFUSED_PAUSE`` before trying the account again, so one refusal does
        not fail the whole queue message by message."""
        while True:
            report = await self.run_once()
            if report.stopped == "deleted":
                return
            await asyncio.sleep(REFUSED_PAUSE if report.stopped == "refused" else poll)

    async def _send_due(self, run: _Run) -> None:
        report = run.report
        while not report.stopped:
            ids = ledger.due_ids(self.store, run.account.id)
            if not ids:
                retry_at = ledger.next_retry_at(self.store, run.account.id)
                if retry_at is None:
                    return
                await asyncio.sleep(max(0.0, (as_utc(retry_at) or retry_at).timestamp() - time.time()))
                continue
            await self._send_batch(run, ids)
        if report.stopped == "paused":
            queue.hold_account(self.store, run.account.id, self.publish)

    async def _send_batch(self, run: _Run, ids: list[int]) -> None:
        """Hand ``ids`` to the connections, keeping to the rate; returns when all are settled. If a
        connection fails hard (a crash, the store gone), everything stops with it."""
        limited = run.window.limit.per_minute is not None
        lanes = 1 if limited else max(1, self.options.connections)
        # Unlimited, each connection finds its next message already waiting when it finishes one.
        slots = asyncio.Semaphore(lanes if limited else 2 * lanes)
        feed: asyncio.Queue[ledger.Claimed | None] = asyncio.Queue()
        name = f"outbox-{run.account.id}"
        tasks = [asyncio.create_task(self._lane(run, feed, slots), name=f"{name}-{i}") for i in range(lanes)]
        tasks.append(asyncio.create_task(self._feed(run, ids, feed, slots, lanes), name=f"{name}-feed"))
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        if run.quota_used and not run.report.stopped:  # set only now: the lanes finish what they were given
            run.report.stopped = "daily_quota"

    async def _feed(
        self,
        run: _Run,
        ids: list[int],
        feed: asyncio.Queue[ledger.Claimed | None],
        slots: asyncio.Semaphore,
        lanes: int,
    ) -> None:
        """Claim messages (several per transaction when no per-minute limit applies) and hand them out,
        one whenever a slot is free (a connection, or without a per-minute limit up to two per connection)
        and the rate allows."""
        batch = 1 if run.window.limit.per_minute is not None else CLAIM_BATCH
        ready: list[ledger.Claimed] | None = []
        pending = list(ids)
        quota_used = False
        while pending or ready:
            if run.report.stopped:
                break
            await slots.acquire()
            if run.window.day_exhausted():  # what is already on its way still goes
                slots.release()
                quota_used = True
                break
            if (delay := run.window.wait()) > 0:
                await asyncio.sleep(delay)
            if not ready:
                ready = await self._claim(run, pending[:batch])
                pending = pending[batch:]
                if ready is None:  # paused or deleted while we were sending
                    slots.release()
                    break
                if not ready:  # another worker took them
                    slots.release()
                    continue
            run.window.reserve()
            feed.put_nowait(ready.pop(0))
        for claimed in ready or ():  # claimed but not handed out: back in the queue
            await run.commit.write(lambda s, c=claimed: ledger.mark_requeued(s, c, None, "not sent in this run"))
        for _ in range(lanes):
            feed.put_nowait(None)
        run.quota_used = quota_used

    async def _claim(self, run: _Run, ids: list[int]) -> list[ledger.Claimed] | None:
        """Claim ``ids`` in one transaction; ``None`` (with ``stopped`` set) if the account stopped sending."""
        claimed = ledger.claim(self.store, run.account.id, ids)
        if isinstance(claimed, str):
            run.report.stopped = "paused" if claimed == AccountStatus.PAUSED else claimed
            return None
        return claimed

    async def _lane(self, run: _Run, feed: asyncio.Queue[ledger.Claimed | None], slots: asyncio.Semaphore) -> None:
        """One SMTP connection sending what it is fed, reused from message to message. When the next message
        is already waiting, its commands go out with this one's final "." (``SmtpSession.send``'s ``then``)."""
        smtp: SmtpSession | None = None
        upcoming: ledger.Claimed | None = None
        last = False
        try:
            while not last:
                claimed = upcoming if upcoming is not None else await feed.get()
                if claimed is None:
                    break
                upcoming = None
                sent_at: float | None = None
                try:
                    # The account's status (paused or deleted just now?) is checked in the transaction that
                    # marks the end of DATA, right before the final "." (``_send_one``).
                    if run.report.stopped:
                        reason = f"sending stopped: {run.report.stopped}"
                        await run.commit.write(lambda s, c=claimed, r=reason: ledger.mark_requeued(s, c, None, r))
                        if smtp is not None and smtp.sent_ahead:  # the server waits for a message: hang up
                            await smtp.close(polite=False)
                            smtp = None
                        continue
                    if not feed.empty():
                        upcoming = feed.get_nowait()
                        last = upcoming is None  # the end of the feed: this lane stops after this message
                    smtp, sent_at = await self._send_one(run, smtp, claimed, upcoming)
                finally:
                    run.window.settle(sent_at)
                    slots.release()
        finally:
            if smtp is not None:
                await smtp.close()

    async def _send_one(
        self, run: _Run, smtp: SmtpSession | None, claimed: ledger.Claimed, upcoming: ledger.Claimed | None = None
    ) -> tuple[SmtpSession | None, float | None]:
        """Send one claimed message (``upcoming``: the one this session sends next, if known); returns the
        session to reuse (``None`` if it broke) and when it went."""
        account, report = run.account, run.report
        event = {"outbox_id": claimed.id, "message_id": claimed.message_id}
        self.publish("outbox.sending", account.id, {**event, "attempt": claimed.attempts})
        try:
            if smtp is None or not smtp.connected:
                smtp = await SmtpSession.open(
                    account.settings.smtp, account.settings.username, account.password, timeout=self.options.timeout
                )
        except SendRefused as refused:  # the login itself was refused: the account's problem, not the message's
            if refused.temporary:
                await self._retry_later(run, claimed, refused.phase, refused.reply, event)
                return None, None
            phase, reply = refused.phase, refused.reply
            await run.commit.write(lambda s: ledger.mark_requeued(s, claimed, phase, reply))
            diagnosis = _diagnosis_json(refused, account.provider_id)
            report.stopped, report.diagnosis = "refused", diagnosis
            log.warning("account %s: SMTP login refused (%s); sending stopped", account.id, diagnosis["code"])
            failed = {"stopped": True, "requeued": True, "reply": reply, "diagnosis_code": diagnosis["code"]}
            self.publish("outbox.failed", account.id, {**event, **failed})
            return None, None
        except TransportFailure as failure:
            await self._retry_later(run, claimed, failure.phase, str(failure), event)
            return None, None
        data_ended = False

        async def before_end(end_data: Callable[[], None]) -> bool:
            """Go on only if the account still sends (paused or deleted just now?): that check and the
            end-of-DATA mark share a transaction, and the final "." follows its commit at once."""
            nonlocal data_ended

            def send_final_dot(status: str | None) -> None:
                nonlocal data_ended
                if status == AccountStatus.NORMAL:
                    end_data()  # raises if the connection is gone: then the server cannot have the message
                    data_ended = True

            status = await run.commit.write(
                lambda s: ledger.mark_data_end_if_sending(s, claimed.id, account.id), send_final_dot
            )
            if status != AccountStatus.NORMAL:
                if not report.stopped:
                    report.stopped = "paused" if status == AccountStatus.PAUSED else (status or "deleted")
                return False
            return True

        try:
            then = (upcoming.envelope_from, upcoming.recipients) if upcoming is not None else None
            reply = await smtp.send(claimed.envelope_from, claimed.recipients, claimed.raw, before_end, then=then)
        except SendWithdrawn:  # nothing was handed over: back in the queue, held with the rest
            reason = f"sending stopped: {report.stopped}"
            await run.commit.write(lambda s: ledger.mark_requeued(s, claimed, None, reason))
            return None, None
        except SendRefused as refused:
            if refused.temporary:
                await self._retry_later(run, claimed, refused.phase, refused.reply, event)
                return smtp, None
            await self._fail(run, claimed, refused, event)
            return smtp, None
        except TransportFailure as failure:
            if data_ended:
                # The connection broke after the whole message may have reached the server: its fate is
                # unknown, exactly as after a crash, so Sent decides; it is never resent blind.
                report.recovered += await recover(
                    self.store, account.id, account.provider_id, run.copies, self.publish, ids=[claimed.id]
                )
            else:
                await self._retry_later(run, claimed, failure.phase, str(failure), event)
            return None, None
        now = time.time()
        sent_copy = "pending" if run.keep_copy else "provider"
        at = datetime.fromtimestamp(now, UTC)
        self._record_sent(run, ledger.SentOutcome(claimed, reply, sent_copy, at))
        report.sent += 1
        report.sent_times.append(now)
        self.publish("outbox.sent", account.id, {**event, "reply": reply})
        return smtp, now

    def _record_sent(self, run: _Run, outcome: ledger.SentOutcome) -> None:
        """Not waited for: the outcomes ride together (two statements) in the next transaction, at the latest
        with the next end-of-DATA mark or the run's final flush. A crash before that commit leaves the message
        ``sending`` with its end-of-DATA mark, which recovery settles through Sent, never blind. Copies to
        Sent are queued only once the outcome is committed (their own mark must come after it)."""
        run.outcomes.append(outcome)
        if len(run.outcomes) > 1:  # a write is already waiting for the next transaction: it takes this one too
            return
        batch: list[ledger.SentOutcome] = []

        def work(connection: Connection) -> None:
            batch.extend(run.outcomes)
            run.outcomes.clear()
            ledger.mark_sent(connection, batch)

        def copy() -> None:
            for done in batch:
                run.copies.add(done.claimed.id, done.claimed.raw)

        run.commit.write_soon(work, copy if run.keep_copy else None)

    async def _fail(self, run: _Run, claimed: ledger.Claimed, refused: SendRefused, event: dict[str, Any]) -> None:
        """A permanent refusal: the message fails with a diagnosis; unless it concerns only this message
        (a recipient, its size), the account stops sending until a person looks."""
        diagnosis = _diagnosis_json(refused, run.account.provider_id)
        await run.commit.write(lambda s: ledger.mark_failed(s, claimed, refused.phase, refused.reply, diagnosis))
        run.report.failed += 1
        stop = refused.phase != "rcpt" and diagnosis["code"] not in MESSAGE_LEVEL_CODES
        failed = {"reply": refused.reply, "diagnosis_code": diagnosis["code"], "stopped": stop}
        self.publish("outbox.failed", run.account.id, {**event, **failed})
        log.warning("account %s: message %s refused: %s", run.account.id, claimed.id, refused.reply)
        if stop and not run.report.stopped:
            run.report.stopped, run.report.diagnosis = "refused", diagnosis

    async def _retry_later(
        self, run: _Run, claimed: ledger.Claimed, phase: str, reply: str, event: dict[str, Any]
    ) -> None:
        if claimed.attempts >= self.options.max_attempts:
            await run.commit.write(lambda s: ledger.mark_failed(s, claimed, phase, reply, None))
            run.report.failed += 1
            self.publish("outbox.failed", self.account_id, {**event, "reply": reply, "attempts": claimed.attempts})
            return
        delay = min(self.options.retry_max, self.options.retry_base * 2 ** (claimed.attempts - 1))
        when = datetime.now(UTC) + timedelta(seconds=delay * random.uniform(0.8, 1.2))  # jitter
        await run.commit.write(lambda s: ledger.mark_retry(s, claimed, phase, reply, when))
        run.report.retried += 1
        self.publish("outbox.queued", self.account_id, {**event, "retry_at": when.isoformat(), "reply": reply})
