"""邮箱账号: the table of bound mailboxes, 新建 (detect → steps → password → 验证并保存), edit, pause, resume,
delete. Every action calls ``AccountService``, the same as the CLI and the REST API, so the words match."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from mailhub.accounts.models import Account, AccountError, BindResult, StatusChange
from mailhub.accounts.service import AccountService
from mailhub.catalog import InvalidEmail, detect, load_catalog
from mailhub.web import auth
from mailhub.web.account_forms import AccountForm, settings_values
from mailhub.web.i18n import Lang, request_lang
from mailhub.web.numbers import account_numbers
from mailhub.web.render import apply_headers, render

router = APIRouter(dependencies=[Depends(auth.require_admin)])
csrf = [Depends(auth.check_csrf)]


def service_of(request: Request) -> AccountService:
    return request.app.state.service


def provider_name(provider_id: str | None, lang: str) -> str:
    provider = load_catalog().get(provider_id) if provider_id else None
    return provider.name(lang) if provider else (provider_id or "—")  # type: ignore[arg-type]


def _rows(request: Request) -> list[dict[str, Any]]:
    lang = request_lang(request)
    accounts = service_of(request).list()
    numbers = account_numbers(auth.store_of(request), [account.id for account in accounts])
    return [
        {
            "account": account,
            "provider": provider_name(account.provider_id, lang),
            "diagnosis": account.diagnosis_for(lang),
            "numbers": numbers.get(account.id),
        }
        for account in accounts
    ]


@router.get("/accounts")
async def accounts_page(request: Request) -> Response:
    return render(request, "accounts.html", rows=_rows(request))


@router.get("/accounts/table")
async def accounts_table(request: Request) -> Response:
    """The table alone, swapped in by the page's live updates."""
    return render(request, "_accounts_table.html", rows=_rows(request))


# -- 新建 ----------------------------------------------------------------------------------------------------


async def _detected(request: Request, email: str) -> dict[str, Any]:
    """Detection for the form: the provider, its settings for the advanced fields, its setup steps."""
    lang = request_lang(request)
    try:
        detection = await detect(email)
    except InvalidEmail as error:
        return {"error": error.message(lang)}
    provider = detection.provider
    return {
        "found": detection.found,
        "method": detection.method,
        "provider": provider,
        "provider_name": provider.name(lang) if provider else None,
        "password_name": (provider.password_name_zh if lang == "zh" else provider.password_name_en)
        if provider
        else None,
        "settings": settings_values(detection.settings),
    }


@router.get("/accounts/new")
async def new_form(request: Request, email: str = "") -> Response:
    detection = await _detected(request, email) if email.strip() else None
    form = AccountForm.read({"email": email})
    return render(request, "account_new.html", form=form.values, detection=detection, result=None, error=None)


@router.post("/accounts/new", dependencies=csrf)
async def new_submit(request: Request) -> Response:
    """ "检测" fills in the provider and its steps; "验证并保存" verifies and saves (or shows why not)."""
    form = AccountForm.read(await request.form())
    lang = request_lang(request)
    email = form.values["email"]
    detection = await _detected(request, email) if email else None
    if form.values["action"] != "save":
        return render(request, "account_new.html", form=form.values, detection=detection, result=None, error=None)
    error, result = None, None
    try:
        result = await service_of(request).add(
            email, form.password, name=form.values["name"] or None, overrides=form.overrides()
        )
    except AccountError as refusal:
        error = refusal.message(lang)
    except InvalidEmail as refusal:
        error = refusal.message(lang)
    status = 200 if result is not None and result.saved else 400
    shown = _result(result, lang) if result is not None else None
    return render(request, "account_new.html", status, form=form.values, detection=detection, result=shown, error=error)


def _result(result: BindResult, lang: str) -> dict[str, Any]:
    """A bind/verify outcome for the page: status label, diagnosis and password hints in ``lang``."""
    data = result.to_dict(lang)  # type: ignore[arg-type]
    return {
        "ok": result.ok,
        "saved": result.saved,
        "status": result.status.value,
        "status_label": result.status.label(lang),
        "account_id": result.account.id if result.account else None,
        "diagnosis": data.get("diagnosis") if not result.ok else None,
        "hints": [hint["text"] for hint in data.get("hints", []) if hint.get("text")],
    }


# -- one account ---------------------------------------------------------------------------------------------


def _account(request: Request, account_id: int) -> Account:
    try:
        return service_of(request).get(account_id)
    except AccountError:
        raise HTTPException(status_code=404) from None


def _detail(request: Request, account_id: int, status_code: int = 200, **extra: Any) -> Response:
    lang = request_lang(request)
    try:
        detail = service_of(request).show(account_id)
    except AccountError:
        raise HTTPException(status_code=404) from None
    account = detail.account
    context = {
        "account": account,
        "provider": provider_name(account.provider_id, lang),
        "diagnosis": account.diagnosis_for(lang),
        "history": [_change(change, lang) for change in reversed(detail.history)][:20],
        "last_verification": detail.last_verification,
        "form": settings_values(account.settings) | {"name": account.name or ""},
        "result": None,
        "notice": None,
    }
    context.update(extra)
    return render(request, "account_detail.html", status_code, **context)


def _change(change: StatusChange, lang: Lang) -> dict[str, Any]:
    """A history line in the person's words (``accounts.status.REASONS`` names every reason)."""
    shown = change.to_dict(lang)
    shown["to_label"] = change.to_status.label(lang)
    return shown


@router.get("/accounts/{account_id}")
async def account_page(request: Request, account_id: int) -> Response:
    return _detail(request, account_id)


@router.post("/accounts/{account_id}/edit", dependencies=csrf)
async def account_edit(request: Request, account_id: int) -> Response:
    """验证并保存 for an existing account: new servers or password are verified before they are kept."""
    account = _account(request, account_id)
    form = AccountForm.read(await request.form())
    lang = request_lang(request)
    name = form.values["name"]
    result = await service_of(request).edit(
        account.id,
        name=name if name != (account.name or "") else None,
        password=form.password or None,
        overrides=form.overrides(),
    )
    return _detail(request, account_id, 200 if result.ok else 400, result=_result(result, lang))


@router.post("/accounts/{account_id}/verify", dependencies=csrf)
async def account_verify(request: Request, account_id: int) -> Response:
    result = await service_of(request).verify(_account(request, account_id).id)
    return _detail(request, account_id, result=_result(result, request_lang(request)))


@router.post("/accounts/{account_id}/pause", dependencies=csrf)
async def account_pause(request: Request, account_id: int) -> Response:
    service_of(request).pause(_account(request, account_id).id)
    return _detail(request, account_id, notice="paused")


@router.post("/accounts/{account_id}/resume", dependencies=csrf)
async def account_resume(request: Request, account_id: int) -> Response:
    result = await service_of(request).resume(_account(request, account_id).id)
    return _detail(request, account_id, result=_result(result, request_lang(request)))


@router.get("/accounts/{account_id}/delete")
async def account_delete_confirm(request: Request, account_id: int) -> Response:
    """The confirmation step: deleting removes the saved password and history."""
    return render(request, "account_delete.html", account=_account(request, account_id))


@router.post("/accounts/{account_id}/delete", dependencies=csrf)
async def account_delete(request: Request, account_id: int) -> Response:
    service_of(request).delete(_account(request, account_id).id)
    return apply_headers(request, RedirectResponse("/accounts?deleted=1", status_code=303))
