"""The web UI's tables: the one admin credential (an argon2id hash) and signed-in browser sessions.

A session is kept only as the SHA-256 of its random cookie value, so a copy of the database does not let
anyone sign in; it ends when it expires or when the admin signs out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mailhub.store.models import Base, utcnow


class AdminCredentialRow(Base):
    """The hub's admin password, set on first run (one row, id 1); only its argon2id hash is stored."""

    __tablename__ = "web_admin"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"AdminCredentialRow(id={self.id!r}, password_hash=<hidden>)"


class WebSessionRow(Base):
    """One signed-in browser: the hash of its session cookie and when it expires."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"WebSessionRow(id={self.id!r}, expires_at={self.expires_at!r})"
