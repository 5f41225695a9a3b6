"""The outbox's tables: each message to send (raw bytes and Message-ID, persisted before any send), every
attempt with the server's reply, and per-account sending limits.

A message points at its account with ``ON DELETE SET NULL``: deleting an account leaves its mail as a record,
and the outbox cancels whatever of it was still waiting (see ``outbox.queue.cancel_orphans``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mailhub.store.models import Base, utcnow


class OutboxMessageRow(Base):
    """One message to send. ``state``: queued → sending → sent | failed | held | cancelled."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True, nullable=True
    )
    from_address: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)  # envelope recipients: To + Cc + Bcc
    subject: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # --at, or the next retry
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set (committed) just before the final "." of DATA: after it the server may hold the message.
    data_end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # Where the Sent copy is: "pending", "appended", "found" (already there), "provider" (files it itself).
    sent_copy: Mapped[str | None] = mapped_column(String(16))
    last_reply: Mapped[str | None] = mapped_column(Text)
    diagnosis_code: Mapped[str | None] = mapped_column(String(64))
    diagnosis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    attempt_rows: Mapped[list[OutboxAttemptRow]] = relationship(
        back_populates="message", cascade="all, delete-orphan", passive_deletes=True, order_by="OutboxAttemptRow.id"
    )

    def __repr__(self) -> str:
        return f"OutboxMessageRow(id={self.id!r}, message_id={self.message_id!r}, state={self.state!r})"


class OutboxAttemptRow(Base):
    """One try at sending (or one check after a crash), with what the server said."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # sending (unfinished), sent, retry, failed, found_in_sent, requeued, assumed_sent
    outcome: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str | None] = mapped_column(String(16))  # connect, auth, mail, rcpt, data, recovery
    reply: Mapped[str | None] = mapped_column(Text)

    message: Mapped[OutboxMessageRow] = relationship(back_populates="attempt_rows")


class SendingLimitRow(Base):
    """An account's own sending limits (none = the catalog's defaults). A NULL column means no limit."""

    __tablename__ = "outbox_limits"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    per_minute: Mapped[int | None] = mapped_column(Integer)
    per_day: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
