"""``/api/v1/accounts``: bind (验证并保存), list, show, edit, verify, pause, resume, delete.

Thin on purpose: every route is one ``AccountService`` call, so the API, the CLI and the web pages show the
same statuses and the same diagnosis words.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from mailhub.accounts.models import BindResult, ServerOverrides
from mailhub.accounts.service import AccountService
from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import Secret
from mailhub.api.deps import Lang, account_service, request_lang
from mailhub.api.errors import ApiError, error_body
from mailhub.api.pagination import MAX_ID, Page, PageRequest, page_request, paginate
from mailhub.api.schemas import (
    AccountCreate,
    AccountDetailOut,
    AccountEdit,
    AccountOut,
    BindOut,
    ErrorOut,
    ServerFields,
)
from mailhub.api.views import account_view, bind_view, detail_view, status_labels

router = APIRouter(prefix="/accounts", tags=["accounts"])

AccountId = Annotated[int, Path(ge=1, le=MAX_ID, description="The account's id.")]
FAILED = {"model": ErrorOut, "description": "Verification failed: `diagnosis` holds the cause in zh and en."}
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such account."}}


def _overrides(fields: ServerFields) -> ServerOverrides:
    return ServerOverrides(**fields.model_dump(include=set(ServerFields.model_fields)))


def _secret(value: Any) -> Secret:
    """The password from the request; control characters are refused (no real password has them)."""
    plain = value.get_secret_value()
    if any(ord(char) < 32 or ord(char) == 127 for char in plain):
        raise ApiError(
            422,
            "password_invalid",
            "The password contains control characters; paste it again.",
            "密码中含有控制字符，请重新粘贴。",
        )
    return Secret(plain)


def _refused(result: BindResult) -> JSONResponse:
    """422 verification_failed: the diagnosis in both languages, so any client can show it."""
    diagnosis = result.diagnosis
    title = diagnosis.title if diagnosis is not None else {"zh": "验证失败", "en": "Verification failed"}
    body = error_body(
        "verification_failed",
        {"zh": f"验证失败：{title['zh']}", "en": f"Verification failed: {title['en']}"},
        status=AccountStatus.ERROR.value,
        status_labels=status_labels(AccountStatus.ERROR),
        diagnosis={"zh": diagnosis.to_dict("zh"), "en": diagnosis.to_dict("en")} if diagnosis else None,
        hints=[{"code": hint.code, "text": dict(hint.text)} for hint in result.hints],
    )
    return JSONResponse(body, status_code=422)


@router.get("", response_model=Page[AccountOut], summary="List bound mailboxes")
async def list_accounts(
    paging: PageRequest = Depends(page_request),
    status: Literal["verifying", "normal", "error", "paused"] | None = Query(None, description="Only this status."),
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> dict[str, Any]:
    accounts = [a for a in service.list() if status is None or a.status.value == status]
    page = paginate(accounts, paging, key=lambda account: account.id)
    page["items"] = [account_view(account, lang) for account in page["items"]]
    return page


@router.post(
    "",
    status_code=201,
    response_model=BindOut,
    summary="验证并保存: verify IMAP + SMTP, save when both log in",
    responses={422: FAILED, 409: {"model": ErrorOut, "description": "Already bound."}},
)
async def create_account(
    body: AccountCreate,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> Any:
    result = await service.add(
        body.email,
        _secret(body.password),
        name=body.name,
        overrides=_overrides(body),
        save_unverified=body.save_unverified,
        sync_days=body.sync_days,
    )
    if not result.saved:
        return _refused(result)
    return bind_view(result, lang)


@router.get(
    "/{account_id}",
    response_model=AccountDetailOut,
    summary="One account, its history and latest check",
    responses=NOT_FOUND,
)
async def show_account(
    account_id: AccountId,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> dict[str, Any]:
    return detail_view(service.show(account_id), lang)


@router.patch(
    "/{account_id}",
    response_model=BindOut,
    summary="Edit; new servers or password are verified first (验证并保存)",
    responses={**NOT_FOUND, 422: FAILED},
)
async def edit_account(
    body: AccountEdit,
    account_id: AccountId,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> Any:
    password = _secret(body.password) if body.password is not None else None
    result = await service.edit(
        account_id, name=body.name, password=password, overrides=_overrides(body), sync_days=body.sync_days
    )
    if not result.saved:
        return _refused(result)
    return bind_view(result, lang)


@router.post(
    "/{account_id}/verify", response_model=BindOut, summary="Log in again and update the status", responses=NOT_FOUND
)
async def verify_account(
    account_id: AccountId,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> dict[str, Any]:
    return bind_view(await service.verify(account_id), lang)


@router.post(
    "/{account_id}/pause", response_model=AccountOut, summary="已暂停: stop using the mailbox", responses=NOT_FOUND
)
async def pause_account(
    account_id: AccountId,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> dict[str, Any]:
    return account_view(service.pause(account_id), lang)


@router.post("/{account_id}/resume", response_model=BindOut, summary="Un-pause: verify again", responses=NOT_FOUND)
async def resume_account(
    account_id: AccountId,
    lang: Lang = Depends(request_lang),
    service: AccountService = Depends(account_service),
) -> dict[str, Any]:
    return bind_view(await service.resume(account_id), lang)


@router.delete(
    "/{account_id}", status_code=204, summary="Remove the account with its password and history", responses=NOT_FOUND
)
async def delete_account(
    account_id: AccountId,
    service: AccountService = Depends(account_service),
) -> Response:
    service.delete(account_id)
    return Response(status_code=204)
