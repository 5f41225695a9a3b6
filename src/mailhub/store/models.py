"""The hub's tables, as SQLAlchemy 2 typed models.

One table per concept; every row that belongs to an account points at it with ``ON DELETE CASCADE`` so
deleting an account purges its secret, history and verification records. Later tables (messages, outbox)
hang off ``accounts.id`` the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Now, timezone-aware (stored as UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """The hub's declarative base: one metadata for every table (and for Alembic)."""


class AccountRow(Base):
    """A bound mailbox: where it lives, how to log in (minus the secret), and its current status."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    imap_host: Mapped[str] = mapped_column(String(255))
    imap_port: Mapped[int] = mapped_column(Integer)
    imap_tls: Mapped[str] = mapped_column(String(16))
    smtp_host: Mapped[str] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer)
    smtp_tls: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    diagnosis_code: Mapped[str | None] = mapped_column(String(64))
    # {"code": ..., "zh": Diagnosis.to_dict("zh"), "en": Diagnosis.to_dict("en")}: both languages kept.
    diagnosis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sync_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    secret: Mapped[SecretRow | None] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )
    history: Mapped[list[StatusChangeRow]] = relationship(
        back_populates="account",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StatusChangeRow.id",
    )
    verifications: Mapped[list[VerificationRow]] = relationship(
        back_populates="account",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="VerificationRow.id",
    )


class StatusChangeRow(Base):
    """One status transition: from, to, why, which diagnosis, when."""

    __tablename__ = "account_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    diagnosis_code: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account: Mapped[AccountRow] = relationship(back_populates="history")


class SecretRow(Base):
    """An account's password, sealed by the vault (AES-GCM; associated data binds it to the account id)."""

    __tablename__ = "account_secrets"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    account: Mapped[AccountRow] = relationship(back_populates="secret")

    def __repr__(self) -> str:
        return f"SecretRow(account_id={self.account_id!r}, key_id={self.key_id!r}, ciphertext=<sealed>)"


class VerificationRow(Base):
    """One IMAP + SMTP check, raw server replies kept for the record (never the secret)."""

    __tablename__ = "account_verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ok: Mapped[bool]
    imap_ok: Mapped[bool]
    smtp_ok: Mapped[bool]
    imap_failure: Mapped[str | None] = mapped_column(String(32))
    smtp_failure: Mapped[str | None] = mapped_column(String(32))
    imap_reply: Mapped[str | None] = mapped_column(Text)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    # {"imap": [...lines], "smtp": [...lines]} with anything secret-looking redacted before storing.
    transcript: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    diagnosis_code: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[AccountRow] = relationship(back_populates="verifications")
