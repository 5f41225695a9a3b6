"""Signing in to the hub's web UI: the admin password (set on first run), sessions, CSRF, a sign-in limit.

- The admin password is stored only as an argon2id hash (``web_admin``, one row).
- A session cookie (``mh_session``) is HttpOnly, SameSite=Lax, Secure over https; the database keeps only
  its SHA-256, so a copied database cannot sign anyone in.
- CSRF: double-submit. A random ``mh_csrf`` cookie (HttpOnly) is rendered into every form as ``csrf`` (and
  into a ``<meta>`` for fetch, sent back as ``X-CSRF-Token``); a POST whose token differs is refused.
  SameSite=Lax cookies already stop cross-site POSTs in current browsers; the token covers the rest.
- Sign-in: at most ``limit`` failures per client address in ``window`` seconds, then 429 until they age out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from sqlalchemy import delete, select

from mailhub.store import Store
from mailhub.store.web_models import AdminCredentialRow, WebSessionRow

SESSION_COOKIE = "mh_session"
CSRF_COOKIE = "mh_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_DAYS = 7
MIN_PASSWORD_LENGTH = 8
MAX_TRACKED_ADDRESSES = 10_000

_hasher = PasswordHasher()  # argon2id with the library's current parameters


# -- the admin password ------------------------------------------------------------------------------------


def admin_exists(store: Store) -> bool:
    """True once the admin password has been set (before that, every page leads to /setup)."""
    with store.session() as session:
        return session.get(AdminCredentialRow, 1) is not None


def set_admin_password(store: Store, password: str) -> bool:
    """Set the first admin password; False when one is already set (setup cannot be replayed)."""
    hashed = _hasher.hash(password)
    with store.session() as session:
        if session.get(AdminCredentialRow, 1) is not None:
            return False
        session.add(AdminCredentialRow(id=1, password_hash=hashed))
    return True


def check_admin_password(store: Store, password: str) -> bool:
    """Whether ``password`` is the admin's (constant work whether or not it matches)."""
    with store.session() as session:
        row = session.get(AdminCredentialRow, 1)
        stored = row.password_hash if row is not None else None
    if stored is None:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# -- sessions ----------------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store) -> str:
    """A new session; returns the cookie value (never stored itself)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.session() as session:
        session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        session.add(WebSessionRow(token_hash=_digest(token), expires_at=now + timedelta(days=SESSION_DAYS)))
    return token


def session_valid(store: Store, token: str | None) -> bool:
    if not token:
        return False
    with store.session() as session:
        row = session.scalar(select(WebSessionRow).where(WebSessionRow.token_hash == _digest(token)))
        if row is None:
            return False
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        return expires > datetime.now(UTC)


def end_session(store: Store, token: str | None) -> None:
    if token:
        with store.session() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _digest(token)))


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


# -- CSRF ----------------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one is made, and set as a cookie by ``render``, on first visit)."""
    existing = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not existing or len(existing) < 20:
        existing = secrets.token_urlsafe(24)
        request.state.csrf_new = True
    request.state.csrf = existing
    return existing


async def check_csrf(request: Request) -> None:
    """Dependency for every POST: the form's (or header's) token must equal the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong / CSRF 令牌缺失或不正确")


# -- who may see pages -------------------------------------------------------------------------------------


def store_of(request: Request) -> Store:
    """The hub's store (``app.state.store``, else the account service's)."""
    store = getattr(request.app.state, "store", None)
    return store if store is not None else request.app.state.service.store


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/accounts"
    return target


async def require_admin(request: Request) -> None:
    """Dependency for every page but setup/sign-in: redirect (303) to /setup or /signin when needed."""
    store = store_of(request)
    if not admin_exists(store):
        raise HTTPException(status_code=303, headers={"Location": "/setup"})
    if not session_valid(store, request.cookies.get(SESSION_COOKIE)):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(status_code=303, headers={"Location": f"/signin?next={quote(safe_next(target))}"})


# -- sign-in limit -----------------------------------------------------------------------------------------


class SignInLimiter:
    """At most ``limit`` failed sign-ins per client address within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, who: str) -> deque[float]:
        failures = self._failures.setdefault(who, deque())
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def blocked(self, who: str) -> bool:
        return len(self._recent(who)) >= self.limit

    def failed(self, who: str) -> None:
        self._recent(who).append(self.clock())
        if len(self._failures) > MAX_TRACKED_ADDRESSES:  # many addresses guessing: forget the quiet ones
            for address in [a for a in self._failures if not self._recent(a)]:
                del self._failures[address]

    def succeeded(self, who: str) -> None:
        self._failures.pop(who, None)


def limiter_of(request: Request) -> SignInLimiter:
    limiter = getattr(request.app.state, "web_sign_in_limiter", None)
    if limiter is None:
        limiter = request.app.state.web_sign_in_limiter = SignInLimiter()
    return limiter


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
