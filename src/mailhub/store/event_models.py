"""The supervisor's tables: the event log, webhook endpoints, and every delivery attempt.

Events keep ``account_id`` as a plain number (no foreign key): the log outlives a deleted account, so
``events tail --account 7`` still shows what happened to it. Event ids only grow (SQLite AUTOINCREMENT), so
"everything after id N" is a queue cursor: each webhook endpoint keeps its own (``last_event_id``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailhub.store.models import Base, utcnow


class EventRow(Base):
    """One thing that happened: ``kind`` (``account.status``, ``mail.new``...), the account, and its data."""

    __tablename__ = "events"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # For ``account.status``: the status-history row it reports, so a restart neither repeats nor skips one.
    status_change_id: Mapped[int | None] = mapped_column(Integer, index=True)


def webhook_seal_id(endpoint_id: int) -> int:
    """The number the vault binds a webhook secret to. Negative numbers are a namespace no account can use,
    so a webhook secret copied onto an account row (or back) does not open."""
    return -endpoint_id


class WebhookEndpointRow(Base):
    """A URL that receives signed events; its secret is sealed by the vault, its queue is its cursor."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    secret_nonce: Mapped[bytes] = mapped_column(LargeBinary)
    secret_key_id: Mapped[str] = mapped_column(String(32))
    # Kinds or patterns (``account.*``); empty means every event.
    event_filter: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"WebhookEndpointRow(id={self.id!r}, secret=<sealed>)"


class WebhookDeliveryRow(Base):
    """One attempt to deliver one event to one endpoint: HTTP status or error, how long it took."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int] = mapped_column(Integer)
    # "retry" (another attempt follows), "delivered", or "gave_up" (the endpoint's queue moved on).
    outcome: Mapped[str] = mapped_column(String(16))
