"""Every state change of an outbox message, with its attempt recorded; each function is one step inside a
transaction the caller commits (``Store.session()`` or the worker's group commit).

The worker never holds a transaction open across the network. It commits ``sending`` before MAIL FROM,
``data_end_at`` (with the account's status checked in the same transaction) once the server waits for the
message and before its final ``.`` is written, and the outcome after the server has answered, in the next
transaction (outcomes are not waited for; a crash before they commit is settled by recovery).
Statements go through SQLAlchemy Core on the tables: these run once or twice per message sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, insert, or_, select, update

from mailhub.accounts.status import AccountStatus
from mailhub.outbox.entries import OutboxState
from mailhub.store import AccountRow, Store
from mailhub.store.models import utcnow
from mailhub.store.outbox_models import OutboxAttemptRow, OutboxMessageRow

MESSAGES = OutboxMessageRow.__table__
ATTEMPTS = OutboxAttemptRow.__table__

# Built once: these run for every message sent, and building a statement costs more than running it.
_DATA_END = update(MESSAGES).where(MESSAGES.c.id == bindparam("oid")).values(data_end_at=bindparam("at"))
_SENT = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("oid"))
    .values(
        state=OutboxState.SENT.value,
        sent_at=bindparam("at"),
        sent_copy=bindparam("copy"),
        last_reply=bindparam("reply"),
        updated_at=bindparam("at"),
    )
)
_FINISH = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.outbox_id == bindparam("oid"), ATTEMPTS.c.outcome == "sending")
    .values(
        outcome=bindparam("outcome"), phase=bindparam("phase"), reply=bindparam("reply"), finished_at=bindparam("at")
    )
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message this worker now owns (state ``sending``, committed)."""

    id: int
    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes
    attempts: int


def due_ids(store: Store, account_id: int, *, limit: int = 500) -> list[int]:
    """Queued messages whose time has come, oldest first."""
    now = utcnow()
    with store.session() as session:
        return list(
            session.scalars(
                select(MESSAGES.c.id)
                .where(
                    MESSAGES.c.account_id == account_id,
                    MESSAGES.c.state == OutboxState.QUEUED.value,
                    or_(MESSAGES.c.not_before.is_(None), MESSAGES.c.not_before <= now),
                )
                .order_by(MESSAGES.c.id)
                .limit(limit)
            )
        )


def next_retry_at(store: Store, account_id: int) -> datetime | None:
    """When the earliest message waiting for a retry (not a scheduled first send) is due."""
    with store.session() as session:
        return session.scalar(
            select(MESSAGES.c.not_before)
            .where(
                MESSAGES.c.account_id == account_id,
                MESSAGES.c.state == OutboxState.QUEUED.value,
                MESSAGES.c.attempts > 0,
                MESSAGES.c.not_before.is_not(None),
            )
            .order_by(MESSAGES.c.not_before)
            .limit(1)
        )


_STATUS = select(AccountRow.status).where(AccountRow.id == bindparam("aid"))


def account_status(store: Store, account_id: int) -> str | None:
    """The account's status now (``None`` once deleted)."""
    with store.engine.connect() as connection:
        return status_in(connection, account_id)


def status_in(connection: Connection, account_id: int) -> str | None:
    """The account's status, read inside the caller's transaction (the worker's group commit, so the check
    before each message shares a transaction with the other connections' writes)."""
    return connection.execute(_STATUS, {"aid": account_id}).scalar()


_TAKE = (
    update(MESSAGES)
    .where(
        MESSAGES.c.id.in_(bindparam("ids", expanding=True)),
        MESSAGES.c.account_id == bindparam("aid"),
        MESSAGES.c.state == OutboxState.QUEUED.value,
        exists().where(AccountRow.id == bindparam("aid"), AccountRow.status == AccountStatus.NORMAL.value),
    )
    .values(
        state=OutboxState.SENDING.value, attempts=MESSAGES.c.attempts + 1, data_end_at=None, updated_at=bindparam("at")
    )
    .returning(MESSAGES.c.id)
)
_TAKEN = select(
    MESSAGES.c.id, MESSAGES.c.message_id, MESSAGES.c.from_address, MESSAGES.c.recipients, MESSAGES.c.raw,
    MESSAGES.c.attempts,
).where(MESSAGES.c.id.in_(bindparam("ids", expanding=True))).order_by(MESSAGES.c.id)  # fmt: skip


def claim(store: Store, account_id: int, ids: list[int]) -> list[Claimed] | str:
    """Take these queued messages: ``sending`` committed, one attempt each. Returns the account's status
    instead when it no longer allows sending (paused, deleted); messages someone else took are left out.

    The transaction starts with its write (an UPDATE ... RETURNING guarded by the state and the account's
    status), so two processes claiming at once never both take a message."""
    now = utcnow()
    with store.engine.begin() as connection:
        taken = list(connection.execute(_TAKE, {"ids": ids, "aid": account_id, "at": now}).scalars())
        if not taken:
            status = connection.execute(_STATUS, {"aid": account_id}).scalar()
            return [] if status == AccountStatus.NORMAL else (status or "deleted")
        rows = connection.execute(_TAKEN, {"ids": taken}).all()
        connection.execute(insert(ATTEMPTS), [{"outbox_id": i, "started_at": now, "outcome": "sending"} for i in taken])
    return [Claimed(r.id, r.message_id, r.from_address, tuple(r.recipients), r.raw, r.attempts) for r in rows]


def mark_data_end(session: Connection, outbox_id: int) -> None:
    """The point after which the server may hold the message."""
    session.execute(_DATA_END, {"oid": outbox_id, "at": utcnow()})


def mark_data_end_if_sending(session: Connection, outbox_id: int, account_id: int) -> str | None:
    """The account's status now; the end-of-DATA mark only if it still allows sending (the last check
    before the final ".", in the same transaction as the mark)."""
    status = status_in(session, account_id)
    if status == AccountStatus.NORMAL:
        mark_data_end(session, outbox_id)
    return status


def _finish(session: Connection, outbox_id: int, outcome: str, phase: str | None, reply: str | None) -> None:
    session.execute(_FINISH, {"oid": outbox_id, "outcome": outcome, "phase": phase, "reply": reply, "at": utcnow()})


@dataclass(frozen=True, slots=True)
class SentOutcome:
    """A message the server accepted with ``reply`` at ``at``; ``sent_copy`` says who files it in Sent."""

    claimed: Claimed
    reply: str
    sent_copy: str
    at: datetime


def mark_sent(session: Connection, outcomes: Sequence[SentOutcome]) -> None:
    """Record accepted messages: two statements for all of them (executemany), however many there are."""
    if not outcomes:
        return
    session.execute(_SENT, [{"oid": o.claimed.id, "at": o.at, "copy": o.sent_copy, "reply": o.reply} for o in outcomes])
    session.execute(
        _FINISH,
        [{"oid": o.claimed.id, "outcome": "sent", "phase": "data", "reply": o.reply, "at": o.at} for o in outcomes],
    )


def mark_retry(session: Connection, claimed: Claimed, phase: str, reply: str, when: datetime) -> None:
    """Back to ``queued`` after a temporary failure, not before ``when``."""
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == claimed.id)
        .values(state=OutboxState.QUEUED.value, not_before=when, last_reply=reply, updated_at=utcnow())
    )
    _finish(session, claimed.id, "retry", phase, reply)


def mark_requeued(session: Connection, claimed: Claimed, phase: str | None, reason: str) -> None:
    """Back to ``queued`` now, the attempt not counted (nothing was handed to the server)."""
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == claimed.id)
        .values(state=OutboxState.QUEUED.value, attempts=MESSAGES.c.attempts - 1, updated_at=utcnow())
    )
    _finish(session, claimed.id, "requeued", phase, reason)


def mark_failed(
    session: Connection, claimed: Claimed, phase: str, reply: str, diagnosis: dict[str, Any] | None
) -> None:
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == claimed.id)
        .values(
            state=OutboxState.FAILED.value,
            last_reply=reply,
            diagnosis_code=diagnosis["code"] if diagnosis else None,
            diagnosis=diagnosis,
            updated_at=utcnow(),
        )
    )
    _finish(session, claimed.id, "failed", phase, reply)


def set_sent_copy(store: Store, outbox_ids: list[int], value: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(update(MESSAGES).where(MESSAGES.c.id.in_(outbox_ids)).values(sent_copy=value))


@dataclass(frozen=True, slots=True)
class Unsettled:
    """A message whose fate a crash (or a dropped connection) left unknown, or whose Sent copy is missing."""

    id: int
    message_id: str
    raw: bytes
    state: str
    data_end_at: datetime | None


def unsettled(store: Store, account_id: int, ids: list[int] | None = None) -> tuple[list[Unsettled], list[Unsettled]]:
    """(messages left ``sending``, sent messages whose Sent copy is still pending)."""
    query = select(
        MESSAGES.c.id, MESSAGES.c.message_id, MESSAGES.c.raw, MESSAGES.c.state, MESSAGES.c.data_end_at
    ).where(
        MESSAGES.c.account_id == account_id,
        or_(
            MESSAGES.c.state == OutboxState.SENDING.value,
            and_(MESSAGES.c.state == OutboxState.SENT.value, MESSAGES.c.sent_copy == "pending"),
        ),
    )
    if ids is not None:
        query = query.where(MESSAGES.c.id.in_(ids))
    with store.session() as session:
        found = [Unsettled(*row) for row in session.execute(query.order_by(MESSAGES.c.id))]
    return (
        [u for u in found if u.state == OutboxState.SENDING.value],
        [u for u in found if u.state == OutboxState.SENT.value],
    )


def settle(
    store: Store, outbox_id: int, *, state: OutboxState, outcome: str, reason: str, sent_copy: str | None
) -> None:
    """Resolve a message left ``sending``: record the check as an attempt and set what it found."""
    now = utcnow()
    with store.session() as session:
        values: dict[str, Any] = {"state": state.value, "updated_at": now}
        if state == OutboxState.SENT:
            values.update(sent_at=now, sent_copy=sent_copy)
        else:
            values.update(data_end_at=None)
        session.execute(update(MESSAGES).where(MESSAGES.c.id == outbox_id).values(**values))
        _finish(session, outbox_id, "interrupted", None, None)
        session.execute(
            insert(ATTEMPTS).values(
                outbox_id=outbox_id, started_at=now, finished_at=now, outcome=outcome, phase="recovery", reply=reason
            )
        )
