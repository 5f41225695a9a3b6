"""What routes ask FastAPI for: the account service, and the language answers are written in."""

from __future__ import annotations

from typing import Literal

from fastapi import Query, Request

from mailhub.accounts.service import AccountService
from mailhub.settings import accepted_language

Lang = Literal["zh", "en"]


def account_service(request: Request) -> AccountService:
    """The app's one account service (``app.state.service``, set by ``create_app``)."""
    return request.app.state.service


def request_lang(
    request: Request,
    lang: Lang | None = Query(None, description="zh or en; default from Accept-Language."),
) -> Lang:
    """``?lang=`` if given, else ``Accept-Language``, else the hub's configured language."""
    if lang is not None:
        return lang
    found = accepted_language(request.headers.get("accept-language"))
    if found is not None:
        return found
    settings = getattr(request.app.state, "settings", None)
    return settings.language() if settings is not None else "en"
