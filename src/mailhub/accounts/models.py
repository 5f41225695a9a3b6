"""What the account service hands to its callers (CLI, REST API, web UI): plain, frozen, secret-free."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from mailhub.accounts.status import AccountStatus, reason_text
from mailhub.accounts.vault import redact
from mailhub.catalog.model import MailSettings, ServerSettings
from mailhub.store.models import AccountRow, VerificationRow, utcnow


class AccountError(Exception):
    """A refusal a person can meet (unknown account, duplicate, bad CSV...): stable code, zh and en text."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.messages = {"en": en, "zh": zh}

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


@dataclass(frozen=True, slots=True)
class ServerOverrides:
    """What the person typed instead of (or on top of) detection; ``None`` keeps the detected value."""

    provider_id: str | None = None
    imap_host: str | None = None
    imap_port: int | None = None
    imap_tls: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_tls: str | None = None
    username: str | None = None

    def servers_complete(self) -> bool:
        """True when both servers are fully given, so detection is not needed to reach them."""
        return None not in (self.imap_host, self.imap_port, self.smtp_host, self.smtp_port)

    def is_empty(self) -> bool:
        return all(getattr(self, item.name) is None for item in fields(self))

    def apply(self, base: MailSettings) -> MailSettings:
        """``base`` with every given field replaced; a new port without a TLS mode implies one
        (implicit TLS on 993/465, STARTTLS elsewhere)."""
        imap = _server(base.imap, self.imap_host, self.imap_port, self.imap_tls, implicit_port=993)
        smtp = _server(base.smtp, self.smtp_host, self.smtp_port, self.smtp_tls, implicit_port=465)
        return MailSettings(imap=imap, smtp=smtp, username=self.username or base.username)


def _server(
    base: ServerSettings, host: str | None, port: int | None, tls: str | None, *, implicit_port: int
) -> ServerSettings:
    if tls is None and port is not None:
        tls = "ssl" if port == implicit_port else "starttls"
    return ServerSettings(host=host or base.host, port=port or base.port, tls=(tls or base.tls))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One line of an account's history."""

    from_status: AccountStatus | None
    to_status: AccountStatus
    reason: str
    diagnosis_code: str | None
    at: datetime

    def to_dict(self, lang: str) -> dict[str, Any]:
        return {
            "from": self.from_status.value if self.from_status else None,
            "to": self.to_status.value,
            "reason": reason_text(self.reason, lang),
            "diagnosis_code": self.diagnosis_code,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """One stored check: per-protocol outcome and the server's own replies."""

    at: datetime
    ok: bool
    imap_ok: bool
    smtp_ok: bool
    imap_failure: str | None
    smtp_failure: str | None
    imap_reply: str | None
    smtp_reply: str | None
    elapsed_ms: int | None
    diagnosis_code: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ok": self.ok,
            "imap": {"ok": self.imap_ok, "failure": self.imap_failure, "reply": self.imap_reply},
            "smtp": {"ok": self.smtp_ok, "failure": self.smtp_failure, "reply": self.smtp_reply},
            "elapsed_ms": self.elapsed_ms,
            "diagnosis_code": self.diagnosis_code,
        }


@dataclass(frozen=True, slots=True)
class Account:
    """A bound mailbox as callers see it (the password stays in the vault)."""

    id: int
    email: str
    name: str | None
    provider_id: str | None
    settings: MailSettings
    status: AccountStatus
    status_reason: str | None
    diagnosis_code: str | None
    diagnosis: dict[str, Any] | None  # {"code", "zh": {...}, "en": {...}}
    sync_days: int | None
    created_at: datetime
    updated_at: datetime
    verified_at: datetime | None

    def diagnosis_for(self, lang: str) -> dict[str, Any] | None:
        """The stored diagnosis in one language (``Diagnosis.to_dict(lang)`` as saved)."""
        if not self.diagnosis:
            return None
        return self.diagnosis.get(lang) or self.diagnosis.get("en") or {"code": self.diagnosis_code}

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """JSON-ready: ``status`` always, ``diagnosis.code`` when 异常."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "provider_id": self.provider_id,
            "status": self.status.value,
            "status_label": self.status.label(lang),
            "status_reason": reason_text(self.status_reason, lang) if self.status_reason else None,
            "imap": _server_dict(self.settings.imap),
            "smtp": _server_dict(self.settings.smtp),
            "username": self.settings.username,
            "sync_days": self.sync_days,
            "diagnosis": self.diagnosis_for(lang),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
        }


def _server_dict(server: ServerSettings) -> dict[str, Any]:
    return {"host": server.host, "port": server.port, "tls": server.tls}


@dataclass(frozen=True, slots=True)
class AccountDetail:
    """``show``: the account, its history, and its latest verification."""

    account: Account
    history: tuple[StatusChange, ...]
    last_verification: VerificationRecord | None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        data = self.account.to_dict(lang)
        data["history"] = [change.to_dict(lang) for change in self.history]
        data["last_verification"] = self.last_verification.to_dict() if self.last_verification else None
        return data


@dataclass(frozen=True, slots=True)
class BindResult:
    """What ``add`` / ``verify`` / ``resume`` / ``edit`` return: the account (if saved) and the outcome."""

    email: str
    account: Account | None
    saved: bool
    ok: bool
    diagnosis: Any = None  # mailhub.accounts.diagnosis.Diagnosis when not ok
    hints: tuple[Any, ...] = field(default=())  # password hints (spaces removed, shape warnings)
    verification: Any = None  # mailhub.accounts.verify.Verification

    @property
    def status(self) -> AccountStatus:
        if self.account is not None:
            return self.account.status
        return AccountStatus.NORMAL if self.ok else AccountStatus.ERROR

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        data: dict[str, Any] = self.account.to_dict(lang) if self.account else {"email": self.email}
        data["status"] = self.status.value
        data["status_label"] = self.status.label(lang)
        data["saved"] = self.saved
        if self.diagnosis is not None:
            data["diagnosis"] = self.diagnosis.to_dict(lang)
        data["hints"] = [_hint_dict(hint, lang) for hint in self.hints]
        return data


def _hint_dict(hint: Any, lang: str) -> dict[str, Any]:
    """A password hint (``code`` + ``text`` in both languages) in one language."""
    text = getattr(hint, "text", None)
    if isinstance(text, dict):
        text = text.get(lang) or text.get("en")
    return {"code": getattr(hint, "code", None), "text": text}


# -- rows ↔ models (the one place that knows both shapes) ---------------------------------------------


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased, and shaped like an address (``AccountError`` ``email_invalid`` otherwise)."""
    text = email.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or " " in text:
        raise AccountError("email_invalid", f"{email!r} is not an email address.", f"{email!r} 不是有效的邮箱地址。")
    return text


def new_row(
    email: str, name: str | None, provider_id: str | None, settings: MailSettings, sync_days: int | None
) -> AccountRow:
    row = AccountRow(email=email, name=name, sync_days=sync_days, status=AccountStatus.VERIFYING.value)
    apply_settings(row, provider_id, settings)
    return row


def apply_settings(row: AccountRow, provider_id: str | None, settings: MailSettings) -> None:
    row.provider_id = provider_id
    row.imap_host, row.imap_port, row.imap_tls = settings.imap.host, settings.imap.port, settings.imap.tls
    row.smtp_host, row.smtp_port, row.smtp_tls = settings.smtp.host, settings.smtp.port, settings.smtp.tls
    row.username = settings.username


def settings_of(row: AccountRow) -> MailSettings:
    return MailSettings(
        imap=ServerSettings(row.imap_host, row.imap_port, row.imap_tls),  # type: ignore[arg-type]
        smtp=ServerSettings(row.smtp_host, row.smtp_port, row.smtp_tls),  # type: ignore[arg-type]
        username=row.username,
    )


def account_of(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        name=row.name,
        provider_id=row.provider_id,
        settings=settings_of(row),
        status=AccountStatus(row.status),
        status_reason=row.status_reason,
        diagnosis_code=row.diagnosis_code,
        diagnosis=row.diagnosis,
        sync_days=row.sync_days,
        created_at=row.created_at,
        updated_at=row.updated_at,
        verified_at=row.verified_at,
    )


def detail_of(row: AccountRow) -> AccountDetail:
    history = tuple(
        StatusChange(
            from_status=AccountStatus(change.from_status) if change.from_status else None,
            to_status=AccountStatus(change.to_status),
            reason=change.reason,
            diagnosis_code=change.diagnosis_code,
            at=change.at,
        )
        for change in row.history
    )
    last = row.verifications[-1] if row.verifications else None
    record = None
    if last is not None:
        record = VerificationRecord(
            at=last.at,
            ok=last.ok,
            imap_ok=last.imap_ok,
            smtp_ok=last.smtp_ok,
            imap_failure=last.imap_failure,
            smtp_failure=last.smtp_failure,
            imap_reply=last.imap_reply,
            smtp_reply=last.smtp_reply,
            elapsed_ms=last.elapsed_ms,
            diagnosis_code=last.diagnosis_code,
        )
    return AccountDetail(account_of(row), history, record)


def diagnosis_json(diagnosis: Any, forms: tuple[str, ...]) -> dict[str, Any] | None:
    """A diagnosis as stored: its code and its text in both languages, secrets redacted."""
    if diagnosis is None:
        return None
    data = {"code": diagnosis.code, "zh": diagnosis.to_dict("zh"), "en": diagnosis.to_dict("en")}
    return json.loads(redact(json.dumps(data, ensure_ascii=False, default=str), forms))


def verification_row(account_id: int, verification: Any, diagnosis: Any, forms: tuple[str, ...]) -> VerificationRow:
    """A verification kept for the record: outcome, raw replies and transcripts, secrets redacted."""

    def clean(text: str | None) -> str | None:
        return None if text is None else redact(text, forms)

    imap, smtp = verification.imap, verification.smtp
    elapsed = max(int(imap.elapsed_ms or 0), int(smtp.elapsed_ms or 0))
    return VerificationRow(
        account_id=account_id,
        at=utcnow(),
        ok=bool(verification.ok),
        imap_ok=bool(imap.ok),
        smtp_ok=bool(smtp.ok),
        imap_failure=imap.failure,
        smtp_failure=smtp.failure,
        imap_reply=clean(imap.reply),
        smtp_reply=clean(smtp.reply),
        transcript={
            "imap": [redact(line, forms) for line in imap.transcript],
            "smtp": [redact(line, forms) for line in smtp.transcript],
            "imap_detail": clean(getattr(imap, "detail", None)),
            "smtp_detail": clean(getattr(smtp, "detail", None)),
        },
        elapsed_ms=elapsed,
        diagnosis_code=diagnosis.code if diagnosis is not None else None,
    )
