"""The pages around the app: first-run setup, sign-in and out, the language switch, static files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from mailhub.web import auth
from mailhub.web.i18n import LANG_COOKIE, LANGS, Translator, request_lang
from mailhub.web.render import apply_headers, render

router = APIRouter()

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


def _redirect(request: Request, to: str) -> Response:
    return apply_headers(request, RedirectResponse(to, status_code=303))


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/accounts", status_code=303)


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    """The UI's own CSS and JS (a fixed, flat folder: no paths, no listing)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "max-age=300"})


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    """The header's 中文 / English switch: remember the choice in a cookie and go back."""
    if code not in LANGS:
        raise HTTPException(status_code=404)
    response = _redirect(request, auth.safe_next(next))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", secure=auth.is_https(request), path="/")
    return response


@router.get("/setup")
async def setup_form(request: Request) -> Response:
    """First run: the person choosing the admin password (once; afterwards this leads to sign-in)."""
    if auth.admin_exists(auth.store_of(request)):
        return _redirect(request, "/signin")
    return render(request, "setup.html", error=None)


@router.post("/setup", dependencies=[Depends(auth.check_csrf)])
async def setup_save(
    request: Request, password: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = ""
) -> Response:
    t = Translator(request_lang(request))
    store = auth.store_of(request)
    if auth.admin_exists(store):
        return _redirect(request, "/signin")
    error = None
    if len(password) < auth.MIN_PASSWORD_LENGTH:
        error = t("setup.too_short", n=auth.MIN_PASSWORD_LENGTH)
    elif password != confirm:
        error = t("setup.mismatch")
    if error:
        return render(request, "setup.html", status_code=400, error=error)
    auth.set_admin_password(store, password)
    return _signed_in(request, "/accounts")


def _signed_in(request: Request, to: str) -> Response:
    response = _redirect(request, to)
    token = auth.start_session(auth.store_of(request))
    secure = auth.is_https(request)
    response.set_cookie(
        auth.SESSION_COOKIE, token, max_age=auth.SESSION_DAYS * 86400, httponly=True, samesite="lax", secure=secure
    )
    return response


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None) -> Response:
    if not auth.admin_exists(auth.store_of(request)):
        return _redirect(request, "/setup")
    return render(request, "signin.html", error=None, next=auth.safe_next(next))


@router.post("/signin", dependencies=[Depends(auth.check_csrf)])
async def signin(
    request: Request, password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/accounts"
) -> Response:
    t = Translator(request_lang(request))
    limiter, who = auth.limiter_of(request), auth.client_address(request)
    target = auth.safe_next(next)
    if limiter.blocked(who):
        return render(request, "signin.html", status_code=429, error=t("signin.too_many"), next=target)
    if not auth.check_admin_password(auth.store_of(request), password):
        limiter.failed(who)
        return render(request, "signin.html", status_code=401, error=t("signin.wrong"), next=target)
    limiter.succeeded(who)
    return _signed_in(request, target)


@router.post("/signout", dependencies=[Depends(auth.check_csrf)])
async def signout(request: Request) -> Response:
    auth.end_session(auth.store_of(request), request.cookies.get(auth.SESSION_COOKIE))
    response = _redirect(request, "/signin")
    response.delete_cookie(auth.SESSION_COOKIE)
    return response
