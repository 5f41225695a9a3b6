"""Core results → the JSON the API answers with, in one language plus both status words."""

from __future__ import annotations

from typing import Any

from mailhub.accounts.models import Account, AccountDetail, BindResult
from mailhub.accounts.status import AccountStatus
from mailhub.catalog.model import Provider, ServerSettings


def status_labels(status: AccountStatus) -> dict[str, str]:
    return {"zh": status.label("zh"), "en": status.label("en")}


def account_view(account: Account, lang: str) -> dict[str, Any]:
    data = account.to_dict(lang)
    data["status_labels"] = status_labels(account.status)
    return data


def detail_view(detail: AccountDetail, lang: str) -> dict[str, Any]:
    data = detail.to_dict(lang)
    data["status_labels"] = status_labels(detail.account.status)
    return data


def bind_view(result: BindResult, lang: str) -> dict[str, Any]:
    """验证并保存's outcome; the diagnosis is the fresh one when the check failed, else the stored one."""
    account = account_view(result.account, lang) if result.account is not None else None
    diagnosis = result.diagnosis.to_dict(lang) if result.diagnosis is not None else None
    if diagnosis is None and account is not None:
        diagnosis = account["diagnosis"]
    return {
        "ok": result.ok,
        "saved": result.saved,
        "email": result.email,
        "status": result.status.value,
        "status_label": result.status.label(lang),
        "status_labels": status_labels(result.status),
        "account": account,
        "diagnosis": diagnosis,
        "hints": result.to_dict(lang)["hints"],
    }


def _server(server: ServerSettings) -> dict[str, Any]:
    return {"host": server.host, "port": server.port, "tls": server.tls}


def provider_view(provider: Provider, lang: str) -> dict[str, Any]:
    password_name = provider.password_name_zh if lang == "zh" else provider.password_name_en
    return {
        "id": provider.id,
        "name": provider.name(lang),  # type: ignore[arg-type]
        "name_zh": provider.name_zh,
        "name_en": provider.name_en,
        "imap": _server(provider.imap),
        "smtp": _server(provider.smtp),
        "password_kind": provider.password_kind or None,
        "password_name": password_name or None,
    }


def provider_detail_view(provider: Provider, lang: str) -> dict[str, Any]:
    """The provider with its setup steps, admin's first (the seed's order), and its help links."""
    steps = [*provider.steps_for("admin"), *provider.steps_for("user")]
    return {
        **provider_view(provider, lang),
        "domains": list(provider.domains),
        "username": provider.username,
        "password_length": provider.password_length,
        "imap_id_required": provider.imap_id_required,
        "steps": [{"who": s.who, "text": s.text(lang), "link": s.link} for s in steps],  # type: ignore[arg-type]
        "links": [{"title": link.title(lang), "url": link.url} for link in provider.links],  # type: ignore[arg-type]
        "limits": {
            "per_day": provider.limits.per_day,
            "per_minute": provider.limits.per_minute,
            "recipients_per_message": provider.limits.recipients_per_message,
            "recipients_per_day": provider.limits.recipients_per_day,
            "note": provider.limits.note_zh if lang == "zh" else provider.limits.note_en,
        },
    }
