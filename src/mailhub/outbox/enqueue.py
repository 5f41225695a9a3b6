"""Putting a message in the outbox: persisted (raw bytes, Message-ID, envelope) and committed as ``queued``
before any worker may touch SMTP. A paused account's mail is kept as ``held``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailhub.accounts.status import AccountStatus
from mailhub.outbox.compose import ComposedMessage
from mailhub.outbox.entries import OutboxEntry, OutboxError, OutboxState, Publish, entry_of, no_publish
from mailhub.store import AccountRow, Store
from mailhub.store.models import utcnow
from mailhub.store.outbox_models import OutboxMessageRow


def account_row(session: Session, ref: int | str) -> AccountRow:
    """The sending account by id or address."""
    text = str(ref).strip()
    if text.isdigit():
        row = session.get(AccountRow, int(text))
    else:
        row = session.scalar(select(AccountRow).where(AccountRow.email == text.lower()))
    if row is None:
        raise OutboxError("account_not_found", f"No account {text!r}.", f"没有账户 {text!r}。")
    return row


def new_row(
    account: AccountRow, message: ComposedMessage, at: datetime | None, batch_id: str | None
) -> OutboxMessageRow:
    if message.envelope_from.lower() != account.email.lower():
        raise OutboxError(
            "sender_mismatch",
            f"The sender {message.envelope_from} is not the account's address {account.email}.",
            f"发件人 {message.envelope_from} 与账户地址 {account.email} 不一致。",
        )
    held = account.status == AccountStatus.PAUSED
    now = utcnow()
    return OutboxMessageRow(
        account_id=account.id,
        from_address=account.email,
        message_id=message.message_id,
        recipients=list(message.recipients),
        subject=message.subject,
        raw=message.raw,
        size=len(message.raw),
        state=(OutboxState.HELD if held else OutboxState.QUEUED).value,
        not_before=at.astimezone(UTC) if at else None,
        attempts=0,
        batch_id=batch_id,
        created_at=now,
        updated_at=now,
    )


def enqueue(
    store: Store,
    account: int | str,
    message: ComposedMessage,
    *,
    at: datetime | None = None,
    batch_id: str | None = None,
    publish: Publish = no_publish,
) -> OutboxEntry:
    """Persist ``message`` for ``account`` (id or address); ``at`` schedules it (aware datetime)."""
    return enqueue_many(store, account, [message], at=at, batch_id=batch_id, publish=publish)[0]


def enqueue_many(
    store: Store,
    account: int | str,
    messages: list[ComposedMessage],
    *,
    at: datetime | None = None,
    batch_id: str | None = None,
    publish: Publish = no_publish,
) -> list[OutboxEntry]:
    """Persist several messages in one transaction (a batch send is all queued, or none)."""
    with store.session() as session:
        row = account_row(session, account)
        rows = [new_row(row, message, at, batch_id) for message in messages]
        session.add_all(rows)
        session.flush()
        entries = [entry_of(r) for r in rows]
    for entry in entries:
        kind = "outbox.held" if entry.state == OutboxState.HELD else "outbox.queued"
        publish(kind, entry.account_id, {"outbox_id": entry.id, "message_id": entry.message_id})
    return entries
