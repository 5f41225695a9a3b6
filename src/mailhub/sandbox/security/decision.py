"""What the one gate answers: a login is allowed, or refused for exactly one reason.

Protocol engines (IMAP, SMTP) never decide policy: they pass the credentials to
``Security.authenticate`` and render the returned ``Decision`` with the domain's edition profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Protocol(StrEnum):
    IMAP = "imap"
    SMTP = "smtp"


class Denial(StrEnum):
    """Why a login was refused, in the order the gate checks them."""

    EMPTY_CREDENTIALS = "empty_credentials"
    LOCKED_OUT = "locked_out"  # 5 failures for this user from this IP within 10 minutes
    USERNAME_NOT_FULL_ADDRESS = "username_not_full_address"
    UNKNOWN_USER = "unknown_user"
    BAD_PASSWORD = "bad_password"  # neither the main password nor a live client password
    THIRD_PARTY_DISABLED = "third_party_disabled"  # 允许使用第三方客户端 is off for this user
    SERVICE_DISABLED = "service_disabled"  # the user's 开启IMAP/SMTP服务 switch is off
    CLIENT_PASSWORD_REQUIRED = "client_password_required"  # main password used where only a client password works


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's answer. ``address`` is the canonical user address when allowed (and when known)."""

    allowed: bool
    denial: Denial | None = None
    address: str | None = None
    client_password_id: int | None = None  # set when the login used a client security password

    @classmethod
    def allow(cls, address: str, client_password_id: int | None) -> Decision:
        return cls(True, None, address, client_password_id)

    @classmethod
    def deny(cls, denial: Denial, address: str | None = None) -> Decision:
        return cls(False, denial, address, None)
