"""The mail tables: folders with their sync cursors, message summaries for list views, cached bodies.

A message row is what a list view shows (subject, sender, snippet, flags), filled by one batched FETCH;
the full message is fetched only when someone opens it, and then kept in ``message_bodies``.
Everything hangs off ``accounts.id`` with ``ON DELETE CASCADE``, like the account tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mailhub.store.models import Base, utcnow


class FolderRow(Base):
    """One synced IMAP folder and where its sync stands (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ)."""

    __tablename__ = "mail_folders"
    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_mail_folders_account_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    special_use: Mapped[str | None] = mapped_column(String(32))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uidnext: Mapped[int | None] = mapped_column(BigInteger)
    highestmodseq: Mapped[int | None] = mapped_column(BigInteger)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MessageRow(Base):
    """One message as a list view needs it; ``problems`` says what could not be read cleanly."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        UniqueConstraint("folder_id", "uid", name="uq_mail_messages_folder_uid"),
        Index("ix_mail_messages_list", "account_id", "folder_id", "date"),
        Index("ix_mail_messages_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    folder_id: Mapped[int] = mapped_column(ForeignKey("mail_folders.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text, default="")
    from_name: Mapped[str] = mapped_column(String(500), default="")
    from_email: Mapped[str] = mapped_column(String(320), default="")
    to_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cc_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flags: Mapped[str] = mapped_column(String(500), default="")  # space-separated, as the server says them
    seen: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int | None] = mapped_column(BigInteger)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    attachment_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    snippet: Mapped[str] = mapped_column(Text, default="")
    bodystructure: Mapped[str | None] = mapped_column(Text)
    modseq: Mapped[int | None] = mapped_column(BigInteger)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MessageBodyRow(Base):
    """The whole message as the server sent it, fetched the first time someone opened it."""

    __tablename__ = "mail_bodies"

    message_row_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"), primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
