"""The admin console of one domain: 安全管理 › 账户安全策略, 用户与部门, 登录日志.

Every change goes through the same calls as the CLI (``Sandbox.directory``, ``Sandbox.security``), so the
IMAP/SMTP gate applies it on the next login.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailhub.sandbox.console import admin_auth, i18n, pages
from mailhub.sandbox.errors import SandboxError

router = APIRouter()
router.include_router(admin_auth.router)

AUDIT_ROWS = 200
RULE_MODES = ("off", "all", "scoped")


def _members(request: Request, domain: str) -> tuple[list[str], list[str]]:
    """The domain's departments and user addresses: what a policy scope can name."""
    box = pages.sandbox(request)
    return box.directory.list_departments(domain), [u.address for u in box.directory.list_users(domain)]


@router.get("/admin")
async def admin_home(request: Request) -> Response:
    pages.require(request, "admin")
    return pages.redirect("/admin/policy")


# -- 安全管理 › 账户安全策略 ---------------------------------------------------------------------------
def _policy_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    domain = pages.session(request).subject
    departments, users = _members(request, domain)
    return pages.render(
        request,
        "admin_policy.html",
        status,
        domain=domain,
        policy=pages.sandbox(request).security.get_policy(domain),
        departments=departments,
        users=users,
        modes=RULE_MODES,
        error=error,
    )


@router.get("/admin/policy")
async def policy_page(request: Request) -> Response:
    pages.require(request, "admin")
    return _policy_page(request)


@router.post("/admin/policy")
async def policy_save(request: Request) -> Response:
    domain = pages.require(request, "admin").subject
    posted = await pages.form(request)
    ranges = [line.strip() for line in posted.get("company_ip_ranges").splitlines() if line.strip()]
    try:
        pages.sandbox(request).security.set_policy(
            domain,
            third_party=posted.get("third_party", "off"),
            allow=posted.getlist("allow"),
            exceptions=posted.getlist("exceptions"),
            company_ip_ranges=ranges,
            force_security_password=posted.get("force_security_password", "off"),
            force_scope=posted.getlist("force_scope"),
            force_exceptions=posted.getlist("force_exceptions"),
        )
    except SandboxError as error:
        return _policy_page(request, 422, i18n.error_text(pages.lang(request), error))
    pages.notify(request, "ok", "policy.saved")
    return pages.redirect("/admin/policy")


# -- 用户与部门 ------------------------------------------------------------------------------------------
def _users_page(request: Request, status: int = 200, error: str | None = None, **draft: str) -> Response:
    domain = pages.session(request).subject
    box = pages.sandbox(request)
    return pages.render(
        request,
        "admin_users.html",
        status,
        domain=domain,
        users=box.directory.list_users(domain),
        departments=box.directory.list_departments(domain),
        error=error,
        draft=draft,
    )


@router.get("/admin/users")
async def users_page(request: Request) -> Response:
    pages.require(request, "admin")
    return _users_page(request)


@router.post("/admin/users")
async def user_add(request: Request) -> Response:
    """Add a user (main password, bound phone, department); IMAP/SMTP starts off, as on Alibaba."""
    domain = pages.require(request, "admin").subject
    posted = await pages.form(request)
    local = posted.get("local_part").strip().lower()
    phone, department = posted.get("phone").strip(), posted.get("department").strip() or None
    draft = {"local_part": local, "phone": phone, "department": department or ""}
    if not local or "@" in local:
        return _users_page(request, 422, i18n.translate(pages.lang(request), "users.bad_local_part"), **draft)
    try:
        pages.sandbox(request).add_user(f"{local}@{domain}", posted.get("password"), phone, department)
    except SandboxError as error:
        return _users_page(request, 422, i18n.error_text(pages.lang(request), error), **draft)
    pages.notify(request, "ok", "users.added")
    return pages.redirect("/admin/users")


@router.post("/admin/users/imap-smtp")
async def user_imap_smtp(request: Request) -> Response:
    """The per-user 开启IMAP/SMTP服务 switch."""
    domain = pages.require(request, "admin").subject
    posted = await pages.form(request)
    address = posted.get("address").strip().lower()
    if address.rpartition("@")[2] != domain:
        return _users_page(request, 403, i18n.translate(pages.lang(request), "users.not_yours"))
    try:
        pages.sandbox(request).directory.set_imap_smtp(address, posted.get("enabled") == "on")
    except SandboxError as error:
        return _users_page(request, 422, i18n.error_text(pages.lang(request), error))
    pages.notify(request, "ok", "users.imap_smtp_saved")
    return pages.redirect("/admin/users")


@router.post("/admin/departments")
async def department_add(request: Request) -> Response:
    domain = pages.require(request, "admin").subject
    posted = await pages.form(request)
    try:
        pages.sandbox(request).directory.add_department(domain, posted.get("name"))
    except SandboxError as error:
        return _users_page(request, 422, i18n.error_text(pages.lang(request), error))
    pages.notify(request, "ok", "users.department_added")
    return pages.redirect("/admin/users")


# -- 登录日志 --------------------------------------------------------------------------------------------
@router.get("/admin/audit")
async def audit_page(request: Request) -> Response:
    """Login attempts for this domain's users, newest first (the audit log never holds a secret)."""
    domain = pages.require(request, "admin").subject
    suffix = "@" + domain
    entries = [e for e in pages.sandbox(request).security.audit_log(limit=5 * AUDIT_ROWS) if e.address.endswith(suffix)]
    return pages.render(request, "admin_audit.html", domain=domain, entries=entries[:AUDIT_ROWS])
