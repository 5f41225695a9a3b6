"""The shapes the API reads and writes (and documents in OpenAPI).

Requests are strict (unknown fields refused, sizes bounded); the password is a ``SecretStr`` that is only ever
written, never read back. Responses list every field on purpose: a field not declared here cannot leak out.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Tls = Literal["ssl", "starttls"]


def _port() -> Any:
    return Field(default=None, ge=1, le=65535)


def _host() -> Any:
    return Field(default=None, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.\-\[\]:]+$")


class ServerFields(BaseModel):
    """Settings a person may type instead of detection ("advanced"); null keeps the detected value."""

    model_config = ConfigDict(extra="forbid")

    provider_id: str | None = Field(default=None, min_length=1, max_length=64)
    imap_host: str | None = _host()
    imap_port: int | None = _port()
    imap_tls: Tls | None = None
    smtp_host: str | None = _host()
    smtp_port: int | None = _port()
    smtp_tls: Tls | None = None
    username: str | None = Field(default=None, min_length=1, max_length=320)


class AccountCreate(ServerFields):
    """验证并保存: address and password; the servers are detected unless given."""

    email: str = Field(min_length=3, max_length=320, examples=["sales@acme-trade.cn"])
    password: SecretStr = Field(max_length=1024, description="Write-only: never returned.")
    name: str | None = Field(default=None, max_length=200)
    sync_days: int | None = Field(default=None, ge=1, le=3650)
    save_unverified: bool = Field(default=False, description="Keep the account as 异常 when verification fails.")


class AccountEdit(ServerFields):
    """Change an account; new servers or a new password are verified first and kept only if they work."""

    name: str | None = Field(default=None, max_length=200)
    password: SecretStr | None = Field(default=None, max_length=1024, description="Write-only: never returned.")
    sync_days: int | None = Field(default=None, ge=1, le=3650)


# -- responses -------------------------------------------------------------------------------------------------


class Message(BaseModel):
    zh: str
    en: str


class ErrorOut(BaseModel):
    """Every error: a stable code and the message in both languages (plus details for some codes)."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: Message


class ServerOut(BaseModel):
    host: str
    port: int
    tls: str


class CauseOut(BaseModel):
    code: str
    text: str
    how_to_check: str


class StepOut(BaseModel):
    text: str
    link: str | None = None


class DiagnosisOut(BaseModel):
    """``Diagnosis.to_dict(lang)``: why verification failed, the likely causes, and the steps that fix it."""

    code: str
    title: str | None = None
    explanation: str | None = None
    likely_causes: list[CauseOut] = []
    steps: list[StepOut] = []
    provider_id: str | None = None
    protocol: str | None = None
    phase: str | None = None
    reply: str | None = None
    hints: list[str] = []


class StatusLabels(BaseModel):
    zh: str
    en: str


class AccountOut(BaseModel):
    """A bound mailbox (never its password). ``status`` is the code; ``status_label(s)`` are the words."""

    id: int
    email: str
    name: str | None
    provider_id: str | None
    status: Literal["verifying", "normal", "error", "paused"]
    status_label: str
    status_labels: StatusLabels
    status_reason: str | None
    imap: ServerOut
    smtp: ServerOut
    username: str
    sync_days: int | None
    diagnosis: DiagnosisOut | None
    created_at: str
    updated_at: str
    verified_at: str | None


class StatusChangeOut(BaseModel):
    from_: str | None = Field(alias="from")
    to: str
    reason: str
    diagnosis_code: str | None
    at: str

    model_config = ConfigDict(populate_by_name=True)


class ProtocolCheckOut(BaseModel):
    ok: bool
    failure: str | None
    reply: str | None


class VerificationOut(BaseModel):
    at: str
    ok: bool
    imap: ProtocolCheckOut
    smtp: ProtocolCheckOut
    elapsed_ms: int | None
    diagnosis_code: str | None


class AccountDetailOut(AccountOut):
    """``show``: the account, its status history, and its latest verification."""

    history: list[StatusChangeOut]
    last_verification: VerificationOut | None


class HintOut(BaseModel):
    code: str | None
    text: str | None


class BindOut(BaseModel):
    """The outcome of 验证并保存 / verify / resume / edit: the account (when saved) and the diagnosis (when not ok)."""

    ok: bool
    saved: bool
    email: str
    status: Literal["verifying", "normal", "error", "paused"]
    status_label: str
    status_labels: StatusLabels
    account: AccountOut | None
    diagnosis: DiagnosisOut | None
    hints: list[HintOut]


class ProviderOut(BaseModel):
    id: str
    name: str
    name_zh: str
    name_en: str
    imap: ServerOut
    smtp: ServerOut
    password_kind: str | None
    password_name: str | None


class SetupStepOut(BaseModel):
    who: Literal["admin", "user"]
    text: str
    link: str | None


class LinkOut(BaseModel):
    title: str
    url: str


class ProviderDetailOut(ProviderOut):
    """A provider with its setup steps (admin's, then user's) and help links, in the asked language."""

    domains: list[str]
    username: str
    password_length: int | None
    imap_id_required: bool
    steps: list[SetupStepOut]
    links: list[LinkOut]
    limits: dict[str, Any]


class DetectionOut(BaseModel):
    """``Detection.to_dict(lang)``: the settings found for an address, by which lookup, and the provider."""

    email: str
    found: bool
    method: str | None
    confidence: float
    provider: dict[str, Any] | None
    settings: dict[str, Any] | None
    lookups: list[dict[str, Any]]
