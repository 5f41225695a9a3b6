"""The hub's web application: the REST API (``/api/v1``) and the web UI in one FastAPI app.

``mailhub serve`` runs ``create_app()`` with uvicorn; tests build it around their own ``AccountService``.
Routers reach the core through ``app.state``: ``service`` (AccountService), ``store`` (its Store), ``settings``
and ``runtime`` (the supervisor, when one runs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailhub.accounts.service import AccountService
from mailhub.settings import Settings, load_settings

DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
# Pages may only load from the hub itself; nothing may frame them.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI (the /docs page) is FastAPI's: its script and styles come from jsDelivr and start inline.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """Adds the security headers to every HTTP response, unless a route set its own (e.g. a stricter CSP).

    Plain ASGI rather than ``BaseHTTPMiddleware`` so streamed responses (server-sent events) pass untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path in DOCS_PATHS else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
                if path.startswith("/api/"):  # answers may name mailboxes and servers: keep them out of caches
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    *,
    service: AccountService | None = None,
    settings: Settings | None = None,
    runtime: Any = None,
    web: bool = True,
) -> FastAPI:
    """The app around ``service`` (opened from ``MAILHUB_*`` when not given, and then closed on shutdown).

    ``web=False`` leaves the web UI out (an API-only hub); with ``web=True`` a missing ``mailhub.web`` fails here.
    """
    from mailhub import api

    settings = settings or load_settings()
    owned = service is None
    service = service or AccountService.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            service.close()

    app = FastAPI(
        title="mailhub",
        version=_version(),
        summary="Bind enterprise mailboxes over IMAP/SMTP; REST API under /api/v1.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.store = service.store
    app.state.settings = settings
    app.state.runtime = runtime
    api.install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.include_router(api.router)

    @app.get("/healthz", tags=["health"], summary="Liveness (no token needed)")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    if web:
        try:
            from mailhub.web import router as web_router
        except ImportError as error:
            raise ImportError(
                f"create_app needs mailhub.web.router for the web UI (or pass web=False): {error}"
            ) from error
        app.include_router(web_router)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mailhub")
    except PackageNotFoundError:
        return "0"
