"""What every hub command shares: the ``--lang`` and ``--json`` options and bilingual words."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailhub.settings import Lang

LangOption = Annotated[Lang | None, typer.Option("--lang", help="zh or en (default: MAILHUB_LANG, else locale)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


def chosen_language(lang: Lang | None) -> Lang:
    """``--lang`` if given, else ``MAILHUB_LANG``, else the locale."""
    if lang:
        return lang
    from mailhub.settings import load_settings

    return load_settings().language()


def say(words: dict[str, tuple[str, str]], key: str, lang: str, **values: Any) -> str:
    """``words[key]`` (a (zh, en) pair) in ``lang``, with ``values`` filled in."""
    return words[key][0 if lang == "zh" else 1].format(**values)
