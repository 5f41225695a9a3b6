"""Every API error as one JSON shape: ``{"code": stable, "message": {"zh": ..., "en": ...}}``.

Core refusals (``AccountError``, ``VaultError``, ``TokenError``, ``InvalidEmail``) already carry a code and both
languages; this module only picks their HTTP status. Validation errors list where and what, never the value
sent (it may be a password). Anything unexpected becomes ``internal_error``: logged here, no stack trace out.
Paths outside ``/api/`` (the web pages) keep FastAPI's own handling.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mailhub.accounts.models import AccountError
from mailhub.accounts.vault import VaultError
from mailhub.api.tokens import TokenError
from mailhub.catalog.address import InvalidEmail
from mailhub.outbox.compose import ComposeError
from mailhub.outbox.entries import OutboxError
from mailhub.runtime.webhooks import WebhookError

log = logging.getLogger("mailhub.api")

API_PREFIX = "/api/"

# What each core refusal means in HTTP; codes not listed are 400 (the request cannot be done as asked).
STATUS_OF_CODE: dict[str, int] = {
    "account_not_found": 404,
    "token_not_found": 404,
    "provider_not_found": 404,
    "account_exists": 409,
    "secret_missing": 409,
    "email_invalid": 422,
    "provider_unknown": 422,
    "settings_unknown": 422,
    "token_name_invalid": 422,
    "vault_no_key": 503,
    "vault_key_invalid": 503,
    "vault_wrong_key": 503,
    "vault_tampered": 500,
    "outbox_not_found": 404,
    "webhook_not_found": 404,
    "not_retryable": 409,
    "not_cancellable": 409,
    "account_deleted": 409,
    "address_invalid": 422,
    "no_recipient": 422,
    "attachment_unreadable": 422,
    "webhook_url_invalid": 422,
}

# Texts for the statuses Starlette raises by itself (unknown path, wrong method, ...).
HTTP_TEXTS: dict[int, tuple[str, str, str]] = {
    404: ("not_found", "There is no such resource.", "没有这个资源。"),
    405: ("method_not_allowed", "This method is not allowed here.", "此处不允许该请求方法。"),
    401: ("unauthorized", "A valid API token is required.", "需要有效的 API 令牌。"),
    400: ("bad_request", "The request could not be read.", "无法解析该请求。"),
}


class ApiError(Exception):
    """An API refusal raised by a route: HTTP status, stable code, zh and en text, optional extra fields."""

    def __init__(
        self,
        status: int,
        code: str,
        en: str,
        zh: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.messages = {"zh": zh, "en": en}
        self.headers = headers
        self.extra = extra


def error_body(code: str, messages: dict[str, str], **extra: Any) -> dict[str, Any]:
    """The one error shape."""
    return {"code": code, "message": {"zh": messages["zh"], "en": messages["en"]}, **extra}


def error_response(
    status: int, code: str, messages: dict[str, str], headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, messages, **extra), status_code=status, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.messages, exc.headers, **exc.extra)


async def _coded_error(_request: Request, exc: Exception) -> Response:
    """Core refusals (accounts, vault, tokens, outbox, webhooks): they carry ``code`` and ``messages`` already."""
    code = getattr(exc, "code", "bad_request")
    messages = getattr(exc, "messages", {"en": str(exc), "zh": str(exc)})
    status = STATUS_OF_CODE.get(code, 400)
    if status >= 500:
        log.error("%s: %s", type(exc).__name__, code)
    return error_response(status, code, messages)


async def _invalid_email(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidEmail)
    return error_response(422, "email_invalid", {"zh": exc.message("zh"), "en": exc.message("en")})


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what went wrong; the value sent is left out on purpose (it may be a password)."""
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "type": error.get("type"), "msg": error.get("msg")}
        for error in exc.errors()
    ]


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _is_api(request):
        return await request_validation_exception_handler(request, exc)
    messages = {"en": "Some fields of the request are missing or invalid.", "zh": "请求中有字段缺失或无效。"}
    return error_response(422, "validation_failed", messages, errors=_field_errors(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _is_api(request):
        return await http_exception_handler(request, exc)
    code, en, zh = HTTP_TEXTS.get(exc.status_code, (f"http_{exc.status_code}", str(exc.detail), str(exc.detail)))
    return error_response(exc.status_code, code, {"en": en, "zh": zh}, getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The trace goes to the log only; the client learns that it failed, not how.
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    messages = {
        "en": "Something went wrong inside mailhub; the error was logged.",
        "zh": "mailhub 内部出错，已记录日志。",
    }
    return error_response(500, "internal_error", messages)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the API can answer take the one JSON shape."""
    app.add_exception_handler(ApiError, _api_error)
    for coded in (AccountError, VaultError, TokenError, OutboxError, ComposeError, WebhookError):
        app.add_exception_handler(coded, _coded_error)
    app.add_exception_handler(InvalidEmail, _invalid_email)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
