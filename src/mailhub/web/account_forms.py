"""What the 新建 / edit forms send, read into the account service's terms (and back for re-display).

The "advanced" fields arrive pre-filled with the detected settings; only what the person changed becomes a
``ServerOverrides`` field, so an untouched form binds exactly as detection said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailhub.accounts.models import ServerOverrides
from mailhub.catalog.model import MailSettings

SERVER_FIELDS = ("imap_host", "imap_port", "imap_tls", "smtp_host", "smtp_port", "smtp_tls", "username")
TLS_MODES = ("ssl", "starttls")


@dataclass(frozen=True, slots=True)
class AccountForm:
    """The fields of one submitted form (the password stays out of ``values``: it is never re-rendered)."""

    values: dict[str, str]
    password: str

    @classmethod
    def read(cls, form: Mapping[str, Any]) -> AccountForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        names = ("email", "name", "action", "provider_id", *SERVER_FIELDS)
        values = {name: text(name) for name in names}
        values.update({f"detected_{name}": text(f"detected_{name}") for name in SERVER_FIELDS})
        password = form.get("password")
        return cls(values, password if isinstance(password, str) else "")

    def overrides(self) -> ServerOverrides:
        """The advanced fields the person changed from what was detected (bad ports and TLS modes ignored)."""
        changed: dict[str, Any] = {}
        for name in SERVER_FIELDS:
            value = self.values.get(name, "")
            if not value or value == self.values.get(f"detected_{name}", ""):
                continue
            if name.endswith("_port"):
                if not value.isdigit() or not 0 < int(value) < 65536:
                    continue
                changed[name] = int(value)
            elif name.endswith("_tls"):
                if value in TLS_MODES:
                    changed[name] = value
            else:
                changed[name] = value
        return ServerOverrides(**changed)


def settings_values(settings: MailSettings | None) -> dict[str, str]:
    """Detected settings as the advanced fields show them."""
    if settings is None:
        return {name: "" for name in SERVER_FIELDS}
    return {
        "imap_host": settings.imap.host,
        "imap_port": str(settings.imap.port),
        "imap_tls": settings.imap.tls,
        "smtp_host": settings.smtp.host,
        "smtp_port": str(settings.smtp.port),
        "smtp_tls": settings.smtp.tls,
        "username": settings.username,
    }
