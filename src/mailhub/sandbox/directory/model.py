"""What the directory holds: domains (each with an edition), departments and users. No secrets here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Domain:
    id: int
    name: str
    edition: str  # an edition id from mailhub.sandbox.profiles, e.g. "aliyun-standard"


@dataclass(frozen=True, slots=True)
class User:
    """A mailbox owner. The password hash stays in the database: it is never loaded into this record."""

    id: int
    address: str
    domain: str
    department: str | None
    phone: str
    imap_smtp_enabled: bool  # 开启IMAP/SMTP服务, off for a new user
