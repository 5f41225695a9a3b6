"""What every hub command shares: the ``--lang`` and ``--json`` options, bilingual words, exit codes, and the
account service opened so that a refusal is a message, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mailhub.settings import Lang

if TYPE_CHECKING:
    from mailhub.accounts.service import AccountService

EXIT_OK, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2

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


@contextmanager
def account_service(lang: Lang) -> Iterator[AccountService]:
    """The account service (store + vault), closed afterwards. A refusal (``AccountError``, ``VaultError``)
    is printed with its code in ``lang`` and ends the command with ``EXIT_REFUSED``."""
    from mailhub.accounts.models import AccountError
    from mailhub.accounts.service import AccountService
    from mailhub.accounts.vault import VaultError

    service = None
    try:
        service = AccountService.open()
        yield service
    except (AccountError, VaultError) as error:
        Console(stderr=True).print(f"[red]{error.code}[/red]: {escape(error.message(lang))}")
        raise typer.Exit(EXIT_REFUSED) from None
    finally:
        if service is not None:
            service.close()
