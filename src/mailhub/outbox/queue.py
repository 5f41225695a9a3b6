"""What a person (or the supervisor) does to the outbox: list, show, retry, cancel; and what pausing,
resuming and deleting an account mean for its mail (held, queued again, cancelled).
"""

from __future__ import annotations

from sqlalchemy import select, update

from mailhub.outbox.entries import OutboxEntry, OutboxError, OutboxState, Publish, entry_of, no_publish
from mailhub.store import Store
from mailhub.store.models import utcnow
from mailhub.store.outbox_models import OutboxMessageRow

WAITING = (OutboxState.QUEUED.value, OutboxState.HELD.value)


def list_entries(
    store: Store, *, account_id: int | None = None, state: str | None = None, limit: int = 100
) -> list[OutboxEntry]:
    """The newest messages first."""
    query = select(OutboxMessageRow).order_by(OutboxMessageRow.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(OutboxMessageRow.account_id == account_id)
    if state is not None:
        query = query.where(OutboxMessageRow.state == state)
    with store.session() as session:
        return [entry_of(row) for row in session.scalars(query)]


def get_entry(store: Store, outbox_id: int) -> OutboxEntry:
    """One message with every attempt."""
    with store.session() as session:
        row = session.get(OutboxMessageRow, outbox_id)
        if row is None:
            raise _not_found(outbox_id)
        return entry_of(row, with_history=True)


def retry(store: Store, outbox_id: int, publish: Publish = no_publish) -> OutboxEntry:
    """Queue a failed or cancelled message again, now (its Message-ID stays the same)."""
    with store.session() as session:
        row = session.get(OutboxMessageRow, outbox_id)
        if row is None:
            raise _not_found(outbox_id)
        if row.state not in (OutboxState.FAILED, OutboxState.CANCELLED):
            raise OutboxError(
                "not_retryable",
                f"Message {outbox_id} is {row.state}; only failed or cancelled mail can be retried.",
                f"邮件 {outbox_id} 当前为 {OutboxState(row.state).label('zh')}；只有发送失败或已取消的邮件可以重试。",
            )
        if row.account_id is None:
            raise OutboxError("account_deleted", "Its account was deleted.", "其所属账户已删除。")
        row.state, row.not_before, row.diagnosis, row.diagnosis_code = OutboxState.QUEUED.value, None, None, None
        entry = entry_of(row)
    publish("outbox.queued", entry.account_id, {"outbox_id": entry.id, "message_id": entry.message_id})
    return entry


def cancel(store: Store, outbox_id: int) -> OutboxEntry:
    """Cancel a message that has not started sending."""
    with store.session() as session:
        row = session.get(OutboxMessageRow, outbox_id)
        if row is None:
            raise _not_found(outbox_id)
        if row.state not in WAITING:
            raise OutboxError(
                "not_cancellable",
                f"Message {outbox_id} is {row.state}; only queued or held mail can be cancelled.",
                f"邮件 {outbox_id} 当前为 {OutboxState(row.state).label('zh')}；只有排队中或已暂停的邮件可以取消。",
            )
        row.state = OutboxState.CANCELLED.value
        return entry_of(row)


def _move(store: Store, account_id: int | None, from_states: tuple[str, ...], to: OutboxState) -> list[tuple[int, str]]:
    where = OutboxMessageRow.account_id.is_(None) if account_id is None else OutboxMessageRow.account_id == account_id
    with store.session() as session:
        moved = session.execute(
            select(OutboxMessageRow.id, OutboxMessageRow.message_id).where(
                where, OutboxMessageRow.state.in_(from_states)
            )
        ).all()
        if moved:
            session.execute(
                update(OutboxMessageRow)
                .where(OutboxMessageRow.id.in_([m[0] for m in moved]))
                .values(state=to.value, updated_at=utcnow())
            )
    return [(m[0], m[1]) for m in moved]


def hold_account(store: Store, account_id: int, publish: Publish = no_publish) -> int:
    """The account is paused: its queued mail is held (kept, not sent, not lost)."""
    moved = _move(store, account_id, (OutboxState.QUEUED.value,), OutboxState.HELD)
    for outbox_id, message_id in moved:
        publish("outbox.held", account_id, {"outbox_id": outbox_id, "message_id": message_id})
    return len(moved)


def release_account(store: Store, account_id: int, publish: Publish = no_publish) -> int:
    """The account is resumed: its held mail is queued again."""
    moved = _move(store, account_id, (OutboxState.HELD.value,), OutboxState.QUEUED)
    for outbox_id, message_id in moved:
        publish("outbox.queued", account_id, {"outbox_id": outbox_id, "message_id": message_id})
    return len(moved)


def cancel_account(store: Store, account_id: int) -> int:
    """The account is being deleted: cancel whatever of its mail still waits."""
    return len(_move(store, account_id, WAITING, OutboxState.CANCELLED))


def cancel_orphans(store: Store) -> int:
    """Mail whose account was deleted (account_id set NULL by the database) is cancelled, never sent.

    A message caught mid-send by the deletion cannot be checked any more (no account to log in with): it is
    cancelled too, with its last state kept in the attempts.
    """
    return len(_move(store, None, (*WAITING, OutboxState.SENDING.value), OutboxState.CANCELLED))


def _not_found(outbox_id: int) -> OutboxError:
    return OutboxError("outbox_not_found", f"No outbox message {outbox_id}.", f"发件箱中没有邮件 {outbox_id}。")
