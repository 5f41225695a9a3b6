"""Turning a template into a response: the page's language and words, its CSRF token, and security headers."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mailhub.web.auth import CSRF_COOKIE, csrf_token, is_https
from mailhub.web.i18n import LANGS, Translator, request_lang

HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(value: datetime | None, lang: str = "zh") -> str:
    """A time as the person reads it (local clock of the server, minutes precision); "—" when unknown."""
    if value is None:
        return "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def apply_headers(request: Request, response: Any) -> Any:
    """Security headers on every page, and the CSRF cookie when this browser had none."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            CSRF_COOKIE, request.state.csrf, httponly=True, samesite="lax", secure=is_https(request), path="/"
        )
        request.state.csrf_new = False
    return response


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` in the request's language, with ``t``, ``lang`` and ``csrf`` available."""
    lang = request_lang(request)
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            t=Translator(lang),
            lang=lang,
            langs=LANGS,
            csrf=csrf_token(request),
            path=request.url.path,
            full_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        )
    )
    return apply_headers(request, HTMLResponse(page, status_code=status_code))
