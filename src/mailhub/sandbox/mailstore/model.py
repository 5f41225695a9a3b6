"""What the mail store hands out: mailboxes, message rows, flag sets, and its errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

SYSTEM_FLAGS = {f.lower(): f for f in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")}
STANDARD_MAILBOXES = (
    ("INBOX", None),
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
)
_CRLF = re.compile(rb"\r?\n")


class MailStoreError(Exception):
    """A mailbox operation that cannot be done as asked (the IMAP layer answers NO)."""


class NoSuchMailbox(MailStoreError):
    pass


class MailboxExists(MailStoreError):
    pass


@dataclass(frozen=True, slots=True)
class Mailbox:
    id: int
    address: str
    name: str
    special_use: str | None
    uidvalidity: int
    uidnext: int
    highest_modseq: int
    subscribed: bool


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    messages: int
    unseen: int
    uidnext: int
    uidvalidity: int
    highest_modseq: int


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One message as FETCH needs it; ``raw`` is ``None`` unless the body was asked for."""

    uid: int
    flags: str
    internal_date: float
    size: int
    header_size: int
    modseq: int
    raw: bytes | None


class FlagChange(NamedTuple):
    """One message after STORE: ``changed`` when its flags moved (it got a new ``modseq``); ``conflict`` when
    CONDSTORE's UNCHANGEDSINCE kept it as it was because it had changed since."""

    uid: int
    flags: str
    modseq: int
    changed: bool
    conflict: bool = False


def canonical_flags(flags: Iterable[str]) -> list[str]:
    """System flags in their usual case, keywords as given, no duplicates (``\\Recent`` is never stored)."""
    seen: dict[str, str] = {}
    for flag in flags:
        lowered = flag.lower()
        if lowered == "\\recent" or not flag:
            continue
        seen.setdefault(lowered, SYSTEM_FLAGS.get(lowered, flag))
    return list(seen.values())


def join_flags(flags: Iterable[str]) -> str:
    return " ".join(canonical_flags(flags))


def split_flags(text: str) -> list[str]:
    return text.split() if text else []


def normalize_line_endings(raw: bytes) -> bytes:
    """IMAP speaks CRLF; a message delivered with bare LF lines is stored with CRLF."""
    if raw.count(b"\n") == raw.count(b"\r\n"):
        return raw
    return _CRLF.sub(b"\r\n", raw)


def header_size(raw: bytes) -> int:
    """Bytes of the header block including the blank line that ends it (all of ``raw`` if none)."""
    if raw.startswith(b"\r\n"):
        return 2
    end = raw.find(b"\r\n\r\n")
    return len(raw) if end < 0 else end + 4
