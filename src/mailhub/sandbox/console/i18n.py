"""The console's two languages: every visible string lives in ``messages.toml`` as ``key = {zh, en}``.

The language comes from the ``console_lang`` cookie (set by the header's switcher), else from the browser's
Accept-Language, else Chinese: the people who use these pages are Chinese IT admins and sales staff.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
COOKIE = "console_lang"
_FILE = Path(__file__).with_name("messages.toml")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """``{key: {"zh": ..., "en": ...}}`` read once from messages.toml."""
    with _FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return {key: {"zh": value["zh"], "en": value["en"]} for key, value in data.items()}


def short(lang: str) -> str:
    """``zh-CN`` -> ``zh``: the column of the catalog."""
    return "en" if lang == "en" else "zh"


def translate(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{name}`` placeholders filled; an unknown key shows itself,
    so a missing string is visible on the page (and caught by the catalog test) instead of crashing it."""
    entry = catalog().get(key)
    if entry is None:
        return key
    text = entry[short(lang)]
    return text.format(**values) if values else text


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice when valid, else the first of zh/en the browser prefers, else Chinese."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def error_text(lang: str, error: Exception) -> str:
    """A sandbox error (``DirectoryError`` and subclasses carry both texts) in the reader's language."""
    zh, en = getattr(error, "message_zh", None), getattr(error, "message_en", None)
    if zh and en:
        return en if lang == "en" else zh
    return str(error)
