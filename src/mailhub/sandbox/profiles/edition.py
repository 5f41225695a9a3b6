"""One edition (provider profile) of the sandbox: host names, greetings and the exact reply texts.

Protocol engines never write a reply text themselves: they ask the edition of the user's domain, so the
sandbox can sound like Alibaba, Exmail, NetEase, 263 or a plain RFC 5530 server without code changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mailhub.sandbox.security.decision import Denial

IMAP_TEXT_KEYS = ("unsafe_login", "revoked_bye", "logout_bye", "tls_required")
SMTP_REPLY_KEYS = (
    "mail_from_mismatch",
    "auth_required",
    "tls_required",
    "revoked",
    "unknown_local_user",
    "message_too_big",
    "not_allowed_to_send",
)


@dataclass(frozen=True, slots=True)
class Edition:
    """A provider profile loaded from ``editions.toml``. Reply maps are read-only."""

    id: str
    name_zh: str
    name_en: str
    imap_hosts: tuple[str, ...]
    smtp_hosts: tuple[str, ...]
    imap_greeting: str  # text after "* OK "
    smtp_banner: str  # text after "220 "
    requires_id_before_select: bool
    files_sent_copy: bool  # SMTP submission also files the message in the sender's Sent
    imap_failures: Mapping[Denial, str] = field(compare=False, repr=False)
    smtp_failures: Mapping[Denial, str] = field(compare=False, repr=False)
    imap_texts: Mapping[str, str] = field(compare=False, repr=False)
    smtp_replies: Mapping[str, str] = field(compare=False, repr=False)
    guessed: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    """Names of the texts nobody has seen from the real provider, e.g. ``"imap_auth_failure.bad_password"``."""

    @property
    def imap_host(self) -> str:
        return self.imap_hosts[0]

    @property
    def smtp_host(self) -> str:
        return self.smtp_hosts[0]

    def imap_auth_failure(self, denial: Denial) -> str:
        """The response after the tag for a refused LOGIN/AUTHENTICATE, e.g. ``NO [AUTHENTICATIONFAILED] ...``."""
        return self.imap_failures[Denial(denial)]

    def smtp_auth_failure(self, denial: Denial) -> str:
        """The full SMTP status line for a refused AUTH, e.g. ``526 Authentication failure[0]``."""
        return self.smtp_failures[Denial(denial)]

    def imap_text(self, key: str) -> str:
        """Other IMAP texts: ``unsafe_login`` (after the tag), ``revoked_bye``/``logout_bye`` (after ``* BYE ``),
        ``tls_required`` (after the tag, LOGIN before STARTTLS)."""
        try:
            return self.imap_texts[key]
        except KeyError:
            raise KeyError(f"edition {self.id!r} has no IMAP text {key!r}; known: {IMAP_TEXT_KEYS}") from None

    def smtp_reply(self, key: str) -> str:
        """Other full SMTP status lines, one of ``SMTP_REPLY_KEYS``."""
        try:
            return self.smtp_replies[key]
        except KeyError:
            raise KeyError(f"edition {self.id!r} has no SMTP reply {key!r}; known: {SMTP_REPLY_KEYS}") from None

    def serves_host(self, name: str) -> bool:
        """True when ``name`` is one of this edition's IMAP or SMTP host names (case and trailing dot ignored)."""
        wanted = name.strip().rstrip(".").lower()
        return wanted in self.imap_hosts or wanted in self.smtp_hosts
