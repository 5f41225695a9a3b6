"""What every console page shares: the sandbox handle, the session, forms with their CSRF check, rendering.

Handlers are ``async def`` on purpose: the console shares the sandbox's event loop and its SQLite
connection, so every database call stays on the loop; only argon2 checks go to a worker thread.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mailhub.sandbox.console import i18n
from mailhub.sandbox.console.sessions import Role, Session, SessionStore, SignInLimiter
from mailhub.sandbox.sandbox import Sandbox

MAX_FORM_BYTES = 64 * 1024
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


class CsrfRejected(Exception):
    """A form arrived without this session's CSRF token (a forged or stale form)."""


class SignInRequired(Exception):
    def __init__(self, role: Role) -> None:
        self.role = role


class FormTooLarge(Exception):
    pass


class Form:
    """An ``application/x-www-form-urlencoded`` body: ``get`` the first value, ``getlist`` all of them."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self._fields = fields

    def get(self, key: str, default: str = "") -> str:
        values = self._fields.get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        return [v for v in self._fields.get(key, []) if v.strip()]

    def __repr__(self) -> str:  # forms carry passwords
        return f"Form(keys={sorted(self._fields)})"


def sandbox(request: Request) -> Sandbox:
    factory: Callable[[], Sandbox] = request.app.state.sandbox_factory
    return factory()


def session(request: Request) -> Session:
    return request.state.session


def sessions(request: Request) -> SessionStore:
    return request.app.state.sessions


def limiter(request: Request) -> SignInLimiter:
    return request.app.state.limiter


def lang(request: Request) -> str:
    return request.state.lang


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def form(request: Request) -> Form:
    """The posted form, after checking its CSRF token against the session's (constant-time)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge()
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=500)
    posted = Form(fields)
    if not hmac.compare_digest(posted.get("csrf").encode(), session(request).csrf.encode()):
        raise CsrfRejected()
    return posted


def require(request: Request, role: Role) -> Session:
    """The signed-in session of ``role``, or a redirect to that role's sign-in page."""
    current = session(request)
    if current.role != role:
        raise SignInRequired(role)
    return current


def notify(request: Request, kind: str, key: str) -> None:
    """Show a one-shot notice (a message key) on the next page this browser renders."""
    session(request).flash.append((kind, key))


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def when(moment: datetime | float | None) -> str:
    """A timestamp as a person reads it (local zone, seconds), or a dash."""
    if moment is None:
        return "—"
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment).astimezone()
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the reader's language; notices queued by ``notify`` are shown once."""
    language = lang(request)
    current = session(request)
    notices = [(kind, i18n.translate(language, key)) for kind, key in current.flash]
    current.flash.clear()
    html = _TEMPLATES.get_template(template).render(
        request=request,
        lang=language,
        t=lambda key, **values: i18n.translate(language, key, **values),
        session=current,
        csrf=current.csrf,
        path=request.url.path,
        query=request.url.query,
        notices=notices,
        when=when,
        **context,
    )
    return HTMLResponse(html, status_code=status)
