"""The catalog's vocabulary: a provider, its servers, and the settings a mailbox binds with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tls = Literal["ssl", "starttls"]
PasswordKind = Literal[
    "web_password", "client_security_password", "authorization_code", "app_password", "oauth_only", ""
]
Lang = Literal["zh", "en"]

TLS_MODES: tuple[str, ...] = ("ssl", "starttls")
PASSWORD_KINDS: tuple[str, ...] = (
    "web_password",
    "client_security_password",
    "authorization_code",
    "app_password",
    "oauth_only",
)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where one protocol is served: host name, port, and how TLS starts (implicit ``ssl`` or ``starttls``)."""

    host: str
    port: int
    tls: Tls


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Everything a client needs besides the password to reach one mailbox."""

    imap: ServerSettings
    smtp: ServerSettings
    username: str


@dataclass(frozen=True, slots=True)
class SetupStep:
    """One thing the admin or the user does at the provider, in both languages."""

    who: Literal["admin", "user"]
    zh: str
    en: str
    link: str | None = None

    def text(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class HelpLink:
    title_zh: str
    title_en: str
    url: str

    def title(self, lang: Lang) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True, slots=True)
class SendingLimits:
    """Published sending limits; ``None`` means the provider did not publish that number."""

    per_day: int | None = None
    per_minute: int | None = None
    recipients_per_message: int | None = None
    recipients_per_day: int | None = None
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True, slots=True)
class Provider:
    """What we know about one mail provider (one ``[[provider]]`` record of ``providers.toml``)."""

    id: str
    name_zh: str
    name_en: str
    domains: tuple[str, ...] = field(repr=False)
    mx_patterns: tuple[str, ...] = field(repr=False)
    imap: ServerSettings
    smtp: ServerSettings
    username: Literal["address", "local_part", ""]
    password_kind: PasswordKind
    password_name_zh: str = field(default="", repr=False)
    password_name_en: str = field(default="", repr=False)
    password_length: int | None = field(default=None, repr=False)
    imap_id_required: bool = field(default=False, repr=False)
    files_sent_copy: bool = field(default=False, repr=False)  # SMTP submission also files it in Sent
    other_hosts: tuple[str, ...] = field(default=(), repr=False)
    limits: SendingLimits = field(default_factory=SendingLimits, repr=False)
    links: tuple[HelpLink, ...] = field(default=(), repr=False)
    steps: tuple[SetupStep, ...] = field(default=(), repr=False)
    sources: tuple[str, ...] = field(default=(), repr=False)

    def name(self, lang: Lang) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def steps_for(self, who: Literal["admin", "user"]) -> tuple[SetupStep, ...]:
        return tuple(step for step in self.steps if step.who == who)

    def settings_for(self, email: str) -> MailSettings:
        """The IMAP/SMTP settings for ``email`` at this provider; the username is the full address unless the
        provider is known to want the local part."""
        local, _, _domain = email.strip().rpartition("@")
        username = local if self.username == "local_part" else email.strip()
        return MailSettings(imap=self.imap, smtp=self.smtp, username=username)
