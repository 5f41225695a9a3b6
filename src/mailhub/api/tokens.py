"""API bearer tokens: create (shown once), list, revoke, and check a presented token.

Only a SHA-256 hash of each token is stored: a random 256-bit token needs no slow hash, and a database
leak then gives nobody a working token. No FastAPI here, so the CLI can use it without the web stack.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from mailhub.store import Store
from mailhub.store.api_models import ApiTokenRow
from mailhub.store.models import utcnow

TOKEN_PREFIX = "mh_"
# "Last used" is noted at most once a minute per token: a busy client must not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SHOWN_PREFIX = 10  # "mh_" + 7 characters: enough to tell tokens apart in a list, useless to an attacker


class TokenError(Exception):
    """A refusal about tokens a person can meet: stable code, zh and en text."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.messages = {"en": en, "zh": zh}


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as listed (never the token itself)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
            "active": self.active,
        }


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_of(row: ApiTokenRow) -> ApiToken:
    return ApiToken(row.id, row.name, row.prefix, row.created_at, row.last_used_at, row.revoked_at)


def create_token(store: Store, name: str) -> tuple[ApiToken, str]:
    """A new token named ``name``: its record, and the token itself (to show once, then forget)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise TokenError(
            "token_name_invalid", "A token needs a name of 1-200 characters.", "令牌名称需为 1-200 个字符。"
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        row = ApiTokenRow(name=name, token_hash=token_hash(plain), prefix=plain[:SHOWN_PREFIX], created_at=utcnow())
        session.add(row)
        session.flush()
        return _token_of(row), plain


def list_tokens(store: Store) -> list[ApiToken]:
    """Every token ever made, oldest first (revoked ones too, marked)."""
    with store.session() as session:
        return [_token_of(row) for row in session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))]


def revoke_token(store: Store, token_id: int) -> ApiToken:
    """Stop a token working from the next request on (revoking twice is harmless)."""
    with store.session() as session:
        row = session.get(ApiTokenRow, token_id)
        if row is None:
            raise TokenError("token_not_found", f"No token with id {token_id}.", f"没有编号为 {token_id} 的令牌。")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return _token_of(row)


def check_token(store: Store, presented: str) -> ApiToken | None:
    """The active token matching ``presented`` (its last use noted), or None."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    digest = token_hash(presented)
    with store.session() as session:
        row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
        # The lookup is by hash already; compare again in constant time so nothing hangs on string equality.
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
            return None
        now = utcnow()
        last = row.last_used_at
        if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
            last = last.replace(tzinfo=UTC)
        if last is None or now - last >= LAST_USED_RESOLUTION:
            row.last_used_at = now
        return _token_of(row)
