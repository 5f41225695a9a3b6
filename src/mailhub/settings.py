"""The hub's settings, read from ``MAILHUB_*`` environment variables (pydantic-settings).

Read at each call (``load_settings()``) rather than once at import: tests and the CLI set variables late.
"""

from __future__ import annotations

import locale
import os
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from mailhub.paths import mailhub_home

Lang = Literal["zh", "en"]

DB_FILE = "mailhub.db"


class Settings(BaseSettings):
    """``MAILHUB_HOME``, ``MAILHUB_DATABASE_URL``, ``MAILHUB_MASTER_KEY``, ``MAILHUB_LANG``."""

    model_config = SettingsConfigDict(env_prefix="MAILHUB_", extra="ignore")

    home: Path | None = None
    database_url: str | None = None
    # SecretStr keeps the key out of reprs, logs and validation errors.
    master_key: SecretStr | None = None
    lang: Lang | None = None

    def data_dir(self) -> Path:
        """The data directory (created on first use)."""
        if self.home is not None:
            path = self.home.expanduser()
            path.mkdir(parents=True, exist_ok=True)
            return path
        return mailhub_home()

    def db_url(self) -> str:
        """``MAILHUB_DATABASE_URL`` if set, else SQLite ``mailhub.db`` in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir() / DB_FILE}"

    def language(self) -> Lang:
        """``MAILHUB_LANG``, else the locale (Chinese locales → zh), else en."""
        if self.lang:
            return self.lang
        return language_from_locale()


def language_from_locale() -> Lang:
    """zh when the process locale (LC_ALL / LC_MESSAGES / LANG) is Chinese, else en."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    current = locale.getlocale()[0] or ""
    return "zh" if current.lower().startswith("zh") else "en"


def load_settings() -> Settings:
    """The settings as the environment says now."""
    return Settings()


def accepted_language(header: str | None) -> Lang | None:
    """zh or en from an HTTP ``Accept-Language`` header, by its q-values; None when it names neither
    (one rule for the REST API and the web pages)."""
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
        if quality > 0:
            choices.append((-quality, index, tag.strip().lower()))
    for _quality, _index, tag in sorted(choices):
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return None
