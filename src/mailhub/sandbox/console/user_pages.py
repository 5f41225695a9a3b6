"""The user's webmail settings: sign in with the main password, then 设置 › 账户与安全 › 三方客户端安全密码:
开启 → 生成新密码 → SMS code (the sandbox "phone" panel) → the password, shown once → list → 删除.

The new password appears only in the response to the form that created it (``Cache-Control: no-store``);
it is never stored, logged, put in a session or shown again.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailhub.sandbox.console import i18n, pages
from mailhub.sandbox.console.admin_auth import safe_next
from mailhub.sandbox.errors import SandboxError
from mailhub.sandbox.security.sms import mask_phone

router = APIRouter()
PHONE_MESSAGES = 3  # newest SMS shown on the phone panel


def _sign_in_page(request: Request, status: int = 200, **context: object) -> Response:
    context.setdefault("address", "")
    nxt = safe_next(request.query_params.get("next", ""), "/settings/security")
    return pages.render(request, "user_login.html", status, next=nxt, **context)


@router.get("/mail/login")
async def user_login_page(request: Request) -> Response:
    if pages.session(request).role == "user":
        return pages.redirect("/settings/security")
    return _sign_in_page(request)


@router.post("/mail/login")
async def user_login(request: Request) -> Response:
    posted = await pages.form(request)
    address, password = posted.get("address").strip().lower(), posted.get("password")
    ip, limit, language = pages.client_ip(request), pages.limiter(request), pages.lang(request)
    if limit.blocked(ip, address):
        return _sign_in_page(request, 429, address=address, error=i18n.translate(language, "login.too_many"))
    directory = pages.sandbox(request).directory
    user = directory.get_user(address) if "@" in address else None
    check = directory.main_password_check(user or address)
    if user is None or not await asyncio.to_thread(check, password):
        limit.failed(ip, address)
        return _sign_in_page(request, 401, address=address, error=i18n.translate(language, "login.wrong"))
    limit.succeeded(ip, address)
    request.state.session = pages.sessions(request).sign_in(pages.session(request), "user", user.address)
    return pages.redirect(safe_next(posted.get("next"), "/settings/security"))


def _phone(request: Request, address: str) -> list:
    return list(reversed(pages.sandbox(request).security.sms_messages(address)[-PHONE_MESSAGES:]))


def _security_page(request: Request, status: int = 200, **context: object) -> Response:
    address = pages.session(request).subject
    security = pages.sandbox(request).security
    return pages.render(
        request,
        "user_security.html",
        status,
        address=address,
        enabled=security.client_passwords_enabled(address),
        passwords=security.list_client_passwords(address),
        phone_messages=_phone(request, address),
        **context,
    )


@router.get("/settings/security")
async def security_page(request: Request) -> Response:
    pages.require(request, "user")
    return _security_page(request)


@router.post("/settings/security/enable")
async def enable(request: Request) -> Response:
    address = pages.require(request, "user").subject
    await pages.form(request)
    pages.sandbox(request).security.enable_client_passwords(address)
    pages.notify(request, "ok", "security.enabled_notice")
    return pages.redirect("/settings/security")


@router.post("/settings/security/code")
async def request_code(request: Request) -> Response:
    """生成新密码, step 1: a 6-digit code goes to the bound phone (read it on the phone panel)."""
    address = pages.require(request, "user").subject
    await pages.form(request)
    try:
        pages.sandbox(request).security.request_code(address)
    except SandboxError as error:
        return _security_page(request, 422, error=i18n.error_text(pages.lang(request), error))
    return pages.redirect("/settings/security/new")


def _new_page(request: Request, status: int = 200, **context: object) -> Response:
    address = pages.session(request).subject
    user = pages.sandbox(request).directory.require_user(address)
    return pages.render(
        request,
        "user_new_password.html",
        status,
        address=address,
        masked_phone=mask_phone(user.phone),
        phone_messages=_phone(request, address),
        **context,
    )


@router.get("/settings/security/new")
async def new_password_page(request: Request) -> Response:
    pages.require(request, "user")
    return _new_page(request, remark="")


@router.post("/settings/security/create")
async def create_password(request: Request) -> Response:
    """生成新密码, step 2: with the SMS code and a remark, the password is made and shown this once."""
    address = pages.require(request, "user").subject
    posted = await pages.form(request)
    remark = posted.get("remark").strip()
    try:
        info, password = pages.sandbox(request).security.create_client_password(address, posted.get("code"), remark)
    except SandboxError as error:
        return _new_page(request, 422, remark=remark, error=i18n.error_text(pages.lang(request), error))
    return pages.render(request, "user_password_created.html", address=address, info=info, password=password)


@router.get("/settings/security/{password_id}/delete")
async def delete_confirm_page(request: Request, password_id: int) -> Response:
    """删除, step 1: ask before revoking (the device using it stops working at once)."""
    address = pages.require(request, "user").subject
    found = [p for p in pages.sandbox(request).security.list_client_passwords(address) if p.id == password_id]
    if not found:
        pages.notify(request, "error", "security.not_found")
        return pages.redirect("/settings/security")
    return pages.render(request, "user_delete_confirm.html", address=address, item=found[0])


@router.post("/settings/security/{password_id}/delete")
async def delete_password(request: Request, password_id: int) -> Response:
    """删除, step 2: revoke now; ``Sandbox.delete_client_password`` also ends its live IMAP/SMTP sessions."""
    address = pages.require(request, "user").subject
    await pages.form(request)
    try:
        pages.sandbox(request).delete_client_password(address, password_id)
    except SandboxError:
        pages.notify(request, "error", "security.not_found")
        return pages.redirect("/settings/security")
    pages.notify(request, "ok", "security.deleted")
    return pages.redirect("/settings/security")
