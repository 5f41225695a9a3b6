"""Mailboxes from From/To/Cc values as Chinese mail clients write them, not only as RFC 5322 allows.

Display names arrive quoted or bare, with encoded words inside quotes (invalid, yet what many clients send),
as raw GBK bytes, with the angle brackets missing, or as an unquoted "Last, First". Parsing never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mailhub.sync.decoding import decode_header_value, raw_header_text, unfold, unquote


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox as a list view shows it: display name (may be empty) and address (may be empty if absent)."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


# Encoded words are atoms of their own so a comma inside a (broken) Q word does not split an address.
_ADDRESS_TOKEN = re.compile(
    r"""(?P<quoted>"(?:[^"\\]|\\.)*(?:"|$))
    |(?P<word>=\?[^?\s]*\?[bBqQ]\?[^?]*\?=)
    |(?P<angle><[^>]*(?:>|$))
    |(?P<comment>\((?:[^()\\]|\\.)*(?:\)|$))
    |(?P<sep>[,;])
    |(?P<colon>:)
    |(?P<space>\s+)
    |(?P<atom>[^"<(,;:\s=]+|[=(])""",
    re.X | re.S,
)


def parse_address_list(
    value: bytes | str | None, problems: list[str] | None = None, *, hint: str | None = None, what: str = "address"
) -> list[Address]:
    """Every mailbox in a From/To/Cc value, tolerant of what Chinese clients send; never raises.

    Accepts display names with or without quotes, encoded words inside quotes (invalid but common), raw
    8-bit names, missing angle brackets (``张三 zs@example.cn``), unquoted ``Last, First <a@b>`` and groups.
    """
    if not value:
        return []
    if isinstance(value, bytes) and len(value) <= _MEMO_LIMIT:
        found, notes = _parse_memo(value, hint, what)
        if problems is not None:
            problems.extend(notes)
        return list(found)
    return _parse(value, problems, hint, what)


# Mail repeats its addresses (the account's own in To, the same few senders in From), so the parse of a
# short value is kept with the problem notes it made, and a repeat costs a dictionary lookup.
_MEMO_LIMIT = 1024


@lru_cache(maxsize=4096)
def _parse_memo(value: bytes, hint: str | None, what: str) -> tuple[tuple[Address, ...], tuple[str, ...]]:
    notes: list[str] = []
    return tuple(_parse(value, notes, hint, what)), tuple(notes)


def _parse(value: bytes | str, problems: list[str] | None, hint: str | None, what: str) -> list[Address]:
    try:
        text = unfold(raw_header_text(value, what, problems, hint))
        single = _single_mailbox(text, problems, hint, what)
        if single is not None:
            return [single]
        return _addresses(_address_groups(text), problems, hint, what)
    except Exception as exc:  # never raise on mail content
        if problems is not None:
            problems.append(f"{what} addresses could not be parsed ({type(exc).__name__})")
        return []


# The shapes most mail has, ``Name <a@b>`` and ``a@b``, with nothing in them that would make the tokenizer
# below do more than split off the brackets: no quotes, comments, separators, groups or a second bracket.
_NAME_AND_ADDRESS = re.compile(r"""([^"(),;:<>@]*)<([^>]*@[^>]*)>(\s*)""")
_BARE_ADDRESS = re.compile(r"""(\s*)([^\s"(),;:<>=]*@[^\s"(),;:<>=]*)(\s*)""")


def _single_mailbox(text: str, problems: list[str] | None, hint: str | None, what: str) -> Address | None:
    """The one mailbox of a plain ``Name <a@b>`` or ``a@b`` value, as ``_addresses`` would read it (a fast
    path: most From and To values are one of these); ``None`` for anything else."""
    match = _NAME_AND_ADDRESS.fullmatch(text)
    if match is not None:
        display, email, tail = match.groups()
        name = decode_header_value(display + tail, problems, hint=hint, what=what).strip()
    else:
        match = _BARE_ADDRESS.fullmatch(text)
        if match is None:
            return None
        head, email, tail = match.groups()
        name = (head + tail).strip()
    email = _clean_email(email)
    name = " ".join(name.strip("\"' ").split())
    if name.lower() == email.lower():
        name = ""
    return Address(name, email)


def _address_groups(text: str) -> list[list[tuple[str, str]]]:
    groups: list[list[tuple[str, str]]] = [[]]
    for match in _ADDRESS_TOKEN.finditer(text):
        kind = match.lastgroup or "atom"
        if kind == "sep":
            groups.append([])
        elif kind == "colon" and not any(k == "angle" for k, _ in groups[-1]):
            groups[-1] = []  # "group name:" starts an RFC 5322 group; its name is not a mailbox
        else:
            groups[-1].append((kind, match.group()))
    return [group for group in groups if any(kind != "space" for kind, _ in group)]


def _addresses(
    groups: list[list[tuple[str, str]]], problems: list[str] | None, hint: str | None, what: str
) -> list[Address]:
    found: list[Address] = []
    carried = ""  # "Zhang, San <zs@x>": an address-less piece before a bracketed one is part of its name
    for index, group in enumerate(groups):
        angles = [token for kind, token in group if kind == "angle"]
        email = ""
        if angles:
            email = angles[-1][1:].rstrip(">")
        else:
            email = next((token for kind, token in group if kind == "atom" and "@" in token), "")
        name_tokens = [
            unquote(token) if kind == "quoted" else token
            for kind, token in group
            if kind not in ("angle", "comment") and token != email
        ]
        name = decode_header_value("".join(name_tokens), problems, hint=hint, what=what).strip()
        if not name:
            comments = [token[1:].rstrip(")") for kind, token in group if kind == "comment"]
            name = decode_header_value(" ".join(comments), problems, hint=hint, what=what).strip()
        email = _clean_email(email)
        if not email:
            following = groups[index + 1] if index + 1 < len(groups) else []
            if any(kind == "angle" for kind, _ in following):
                carried = f"{carried}{name}, "
                continue
            if name and " " not in name and name.isascii():
                name, email = "", name  # a bare local part such as "postmaster"
        if carried:
            name, carried = f"{carried}{name}".strip(", "), ""
        name = " ".join(name.strip("\"' ").split())
        if name.lower() == email.lower():
            name = ""
        found.append(Address(name, email))
    return found


def _clean_email(email: str) -> str:
    email = email.strip().strip("\"'").strip()
    if email[:7].lower() == "mailto:":
        email = email[7:]
    return email
