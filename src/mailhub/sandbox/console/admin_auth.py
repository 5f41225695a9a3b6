"""The admin console's sign-in: ``postmaster@<domain>`` with its console password, and the first-run form
that sets that password for a domain which has none yet."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailhub.sandbox.console import i18n, pages
from mailhub.sandbox.console.admins import ConsoleAdmins, domain_of_admin
from mailhub.sandbox.errors import SandboxError

router = APIRouter()


def safe_next(target: str, default: str) -> str:
    """Only a path on this site: never ``//host`` or ``https://host`` (an open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


def _unclaimed_domains(request: Request) -> list[str]:
    box = pages.sandbox(request)
    admins = ConsoleAdmins(box.db)
    return [d.name for d in box.directory.list_domains() if not admins.has_password(d.name)]


def _sign_in_page(request: Request, status: int = 200, **context: object) -> Response:
    context.setdefault("address", "")
    return pages.render(
        request,
        "admin_login.html",
        status,
        unclaimed=_unclaimed_domains(request),
        next=safe_next(request.query_params.get("next", ""), "/admin/policy"),
        **context,
    )


@router.get("/admin/login")
async def admin_login_page(request: Request) -> Response:
    if pages.session(request).role == "admin":
        return pages.redirect("/admin/policy")
    return _sign_in_page(request)


@router.post("/admin/login")
async def admin_login(request: Request) -> Response:
    posted = await pages.form(request)
    address, password = posted.get("address").strip().lower(), posted.get("password")
    ip, limit = pages.client_ip(request), pages.limiter(request)
    if limit.blocked(ip, address):
        return _sign_in_page(request, 429, address=address, error=i18n.translate(pages.lang(request), "login.too_many"))
    domain = domain_of_admin(address)
    check = ConsoleAdmins(pages.sandbox(request).db).password_check(domain or "")
    if domain is None or not await asyncio.to_thread(check, password):
        limit.failed(ip, address)
        return _sign_in_page(request, 401, address=address, error=i18n.translate(pages.lang(request), "login.wrong"))
    limit.succeeded(ip, address)
    request.state.session = pages.sessions(request).sign_in(pages.session(request), "admin", domain)
    return pages.redirect(safe_next(posted.get("next"), "/admin/policy"))


@router.post("/admin/setup")
async def admin_first_run(request: Request) -> Response:
    """First run: set postmaster's password for a domain that has none (later changes: the CLI)."""
    posted = await pages.form(request)
    language = pages.lang(request)
    domain, password = posted.get("domain").strip().lower(), posted.get("password")
    if domain not in _unclaimed_domains(request):
        return _sign_in_page(request, 409, setup_error=i18n.translate(language, "setup.already_set"))
    if password != posted.get("password2"):
        return _sign_in_page(request, 422, setup_error=i18n.translate(language, "setup.mismatch"))
    box = pages.sandbox(request)
    try:
        known = [d.name for d in box.directory.list_domains()]
        ConsoleAdmins(box.db).set_password(domain, password, known_domains=known)
    except SandboxError as error:
        return _sign_in_page(request, 422, setup_error=i18n.error_text(language, error))
    request.state.session = pages.sessions(request).sign_in(pages.session(request), "admin", domain)
    pages.notify(request, "ok", "setup.done")
    return pages.redirect("/admin/policy")
