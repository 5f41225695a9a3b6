"""What routes ask FastAPI for: the account service, and the language answers are written in."""

from __future__ import annotations

from typing import Literal

from fastapi import Query, Request

from mailhub.accounts.service import AccountService

Lang = Literal["zh", "en"]


def account_service(request: Request) -> AccountService:
    """The app's one account service (``app.state.service``, set by ``create_app``)."""
    return request.app.state.service


def accepted_language(header: str | None) -> Lang | None:
    """zh or en from an ``Accept-Language`` header, by its q-values; None when it names neither."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, index, tag.strip().lower()))
    for negative_quality, _index, tag in sorted(choices):
        if negative_quality >= 0:  # q=0 means "not this one"
            break
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return None


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
