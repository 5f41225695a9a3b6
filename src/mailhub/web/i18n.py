"""The web UI's words in zh-CN and en, read from ``locales/{zh,en}.toml``, and the language of a request.

Keys are dotted (``accounts.title``); both catalogs hold the same keys (a test checks). The language is
the ``mh_lang`` cookie when set (the header switcher sets it), else ``Accept-Language``, else the hub's
configured language.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from fastapi import Request

from mailhub.settings import accepted_language

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
LANG_COOKIE = "mh_lang"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """Every string of one language, by dotted key."""
    text = resources.files("mailhub.web").joinpath("locales", f"{lang}.toml").read_text("utf-8")
    return _flatten(tomllib.loads(text))


class Translator:
    """``t("accounts.title")`` → the text in this request's language; ``{name}`` fields are filled in."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._strings = catalog(lang)

    def __call__(self, key: str, **fields: Any) -> str:
        text = self._strings.get(key)
        if text is None:  # a missing key shows itself instead of breaking the page
            return key
        return text.format(**fields) if fields else text


def request_lang(request: Request) -> Lang:
    """The cookie's choice, else the browser's, else the hub's configured language (zh when unknown)."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen  # type: ignore[return-value]
    found = accepted_language(request.headers.get("accept-language"))
    if found is not None:
        return found
    settings = getattr(request.app.state, "settings", None)
    if settings is not None and getattr(settings, "lang", None) in LANGS:
        return settings.lang
    return "zh"
