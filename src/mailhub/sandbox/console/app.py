"""``create_console_app``: the provider's admin console and the user's webmail settings, as one FastAPI app.

Served by ``SandboxService`` on the sandbox's own event loop (``ports={"console": N}``), so deleting a client
password here ends the IMAP and SMTP sessions it opened, in-process, at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from mailhub.sandbox.console import admin_pages, i18n, mail_pages, pages, user_pages
from mailhub.sandbox.console.sessions import COOKIE, SessionStore, SignInLimiter
from mailhub.sandbox.sandbox import Sandbox

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_console_app(
    sandbox_factory: Callable[[], Sandbox],
    *,
    clock: Callable[[], float] = time.monotonic,
    sign_in_limit: int = 5,
) -> FastAPI:
    """The console app. ``sandbox_factory()`` is called per request and returns a ``Sandbox`` the caller
    owns and closes (the service passes its own, whose live sessions a deleted client password must end)."""
    app = FastAPI(title="mailhub sandbox console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox_factory = sandbox_factory
    app.state.sessions = SessionStore(clock)
    app.state.limiter = SignInLimiter(sign_in_limit, clock=clock)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")

    @app.middleware("http")
    async def session_language_headers(request: Request, call_next: Callable) -> Response:
        store: SessionStore = app.state.sessions
        cookie = request.cookies.get(COOKIE)
        request.state.session = store.get(cookie) or store.new()
        request.state.lang = i18n.pick_language(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        response: Response = await call_next(request)
        current = request.state.session
        if current.id != cookie:
            secure = request.url.scheme == "https"
            response.set_cookie(COOKIE, current.id, httponly=True, samesite="strict", secure=secure, path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages may hold a client password shown once
        return response

    @app.exception_handler(pages.SignInRequired)
    async def sign_in_first(request: Request, exc: pages.SignInRequired) -> Response:
        target = "/admin/login" if exc.role == "admin" else "/mail/login"
        return pages.redirect(f"{target}?next={quote(request.url.path)}")

    @app.exception_handler(pages.CsrfRejected)
    async def forged_form(request: Request, exc: pages.CsrfRejected) -> Response:
        return pages.render(request, "error.html", 403, message_key="error.csrf")

    @app.exception_handler(pages.FormTooLarge)
    async def form_too_large(request: Request, exc: pages.FormTooLarge) -> Response:
        return pages.render(request, "error.html", 413, message_key="error.too_large")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return pages.render(request, "error.html", 400, message_key="error.generic")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        key = "error.not_found" if exc.status_code == 404 else "error.generic"
        return pages.render(request, "error.html", exc.status_code, message_key=key)

    @app.get("/")
    async def home(request: Request) -> Response:
        return pages.render(request, "home.html")

    @app.get("/lang")
    async def switch_language(request: Request, to: str = "zh-CN", next: str = "/") -> Response:
        response = pages.redirect(next if next.startswith("/") and not next.startswith("//") else "/")
        if to in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, to, max_age=365 * 86400, httponly=True, samesite="lax", path="/")
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await pages.form(request)
        request.state.session = pages.sessions(request).end(pages.session(request))
        return pages.redirect("/")

    app.include_router(admin_pages.router)
    app.include_router(user_pages.router)
    app.include_router(mail_pages.router)
    return app
