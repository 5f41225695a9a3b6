"""The REST API's table: bearer tokens, kept only as a SHA-256 hash of the random token.

A token is shown once (``mailhub token create``); the hub keeps its hash, a short prefix so a person can tell
tokens apart in ``token list``, and when it was created, last used and revoked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mailhub.store.models import Base, utcnow


class ApiTokenRow(Base):
    """One API token: its name, its hash (never the token), and its life (created, last used, revoked)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"ApiTokenRow(id={self.id!r}, name={self.name!r}, prefix={self.prefix!r})"
