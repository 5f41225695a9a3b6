"""The list-view summary of one fetched message, from its header bytes and the start of its body.

The sync engine calls ``summarize`` for every message, so this is a fast path: our own header splitter on
bytes and our own decoding (``decoding.py``), never the stdlib's modern email policy (~2.7 ms a message).
A broken message yields a summary with ``problems`` filled in; it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TypeVar

from mailhub.sync.addresses import Address, parse_address_list
from mailhub.sync.bodystructure import attachment_names, parse_bodystructure
from mailhub.sync.decoding import decode_header_value
from mailhub.sync.mime import outline_body, split_head, split_headers

_MAX_PROBLEMS = 20
# Bounds that keep one abusive message from stalling a sync worker; real mail stays far below them.
HEADER_SCAN_LIMIT = 256 * 1024
_ADDRESS_LIMIT = 32 * 1024  # about 800 recipients
_SUBJECT_LIMIT = 16 * 1024

_T = TypeVar("_T")


@dataclass(slots=True)
class MessageSummary:
    """What a message list shows and threads by; ``problems`` says what could not be read cleanly."""

    message_id: str | None = None
    subject: str = ""
    from_: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    has_attachments: bool = False
    attachment_names: list[str] = field(default_factory=list)
    snippet: str = ""
    size: int | None = None
    problems: list[str] = field(default_factory=list)


def summarize(
    header_bytes: bytes,
    body_start: bytes | None = None,
    *,
    size: int | None = None,
    bodystructure: bytes | None = None,
) -> MessageSummary:
    """The summary of one message; ``header_bytes`` may also be the whole message (the body is then split off).

    ``body_start`` is the start of the body as fetched (e.g. ``BODY.PEEK[TEXT]<0.65536>``); only its first
    64 KB are read. ``size`` is the server's RFC822.SIZE, kept as is. ``bodystructure`` is the server's
    BODYSTRUCTURE; when given, attachments come from it (it sees the whole message, the body start may not).
    """
    try:
        body = None if body_start is None else _as_bytes(body_start)
        summary = _summarize(_as_bytes(header_bytes), body, size)
        if bodystructure is not None:
            _read_structure(summary, _as_bytes(bodystructure))
        return summary
    except Exception as exc:  # the last line of defence: a summary that says why it is empty
        return MessageSummary(size=size, problems=[f"message could not be read ({type(exc).__name__})"])


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return bytes(data)


def _summarize(header_bytes: bytes, body_start: bytes | None, size: int | None) -> MessageSummary:
    problems: list[str] = []
    summary = MessageSummary(size=size, problems=problems)
    head, rest = split_head(header_bytes)
    if body_start is None:
        body_start = rest or None  # BODY[HEADER] ends in an empty line: that is still "no body fetched"
    if len(head) > HEADER_SCAN_LIMIT:
        problems.append(f"header section longer than {HEADER_SCAN_LIMIT // 1024} KB, the rest not read")
        head = head[:HEADER_SCAN_LIMIT]
    headers = split_headers(head, problems)
    content_type = headers.get("content-type", b"")
    hint = _charset_hint(content_type)

    get = headers.get
    summary.subject = _guard(problems, "subject", lambda: _subject(get("subject"), problems, hint), "")
    senders = _addresses(headers, "from", problems, hint)
    summary.from_ = senders[0] if senders else None
    summary.to = _addresses(headers, "to", problems, hint)
    summary.cc = _addresses(headers, "cc", problems, hint)
    summary.reply_to = _addresses(headers, "reply-to", problems, hint)
    summary.date = _guard(problems, "date", lambda: _date(get("date"), get("received"), problems), None)
    own = _guard(problems, "message-id", lambda: _ids(get("message-id")), [])
    summary.message_id = own[0] if own else None
    parent = _guard(problems, "in-reply-to", lambda: _ids(get("in-reply-to")), [])
    summary.in_reply_to = parent[0] if parent else None
    summary.references = _guard(problems, "references", lambda: _ids(get("references")), [])
    outline = _guard(problems, "body", lambda: outline_body(headers, body_start, problems, hint), None)
    if outline is not None:
        summary.snippet = outline.snippet
        summary.has_attachments = outline.has_attachments
        summary.attachment_names = outline.attachment_names
    if headers.get("x-ms-has-attach", b"").strip().lower() == b"yes":
        summary.has_attachments = True
    elif body_start is None and content_type[:30].lower().lstrip().startswith(b"multipart/mixed"):
        summary.has_attachments = True  # headers only: mixed is how clients wrap attachments (a hint, not proof)
    if "from" not in headers:
        problems.append("no From header")
    elif summary.from_ is None:
        problems.append("From header names no sender")
    problems[:] = list(dict.fromkeys(problems))[:_MAX_PROBLEMS]  # one note per kind of fault, and few
    return summary


def _read_structure(summary: MessageSummary, data: bytes) -> None:
    try:
        parts = parse_bodystructure(data, summary.problems)
    except (ValueError, IndexError, TypeError) as exc:
        summary.problems.append(f"unreadable BODYSTRUCTURE ({exc})"[:120])
        return
    summary.has_attachments, summary.attachment_names = attachment_names(parts)


def _guard(problems: list[str], what: str, read: Callable[[], _T], default: _T) -> _T:
    try:
        return read()
    except Exception as exc:  # one bad field is recorded; the rest of the summary still stands
        problems.append(f"{what} could not be read ({type(exc).__name__})")
        return default


def _addresses(headers: dict[str, bytes], name: str, problems: list[str], hint: str | None) -> list[Address]:
    value = headers.get(name)
    if not value:
        return []
    if len(value) > _ADDRESS_LIMIT:
        problems.append(f"{name} header longer than {_ADDRESS_LIMIT // 1024} KB, the rest not read")
        value = value[: value.rfind(b",", 0, _ADDRESS_LIMIT) + 1 or _ADDRESS_LIMIT]
    return parse_address_list(value, problems, hint=hint, what=name)


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _charset_hint(content_type: bytes) -> str | None:
    """The body's charset, used to read raw 8-bit header bytes (a Big5 body hints a Big5 subject)."""
    match = _CHARSET.search(content_type)
    return match.group(1).decode("ascii") if match else None


def _subject(raw: bytes | None, problems: list[str], hint: str | None) -> str:
    if not raw:
        return ""
    if len(raw) > _SUBJECT_LIMIT:
        problems.append(f"subject longer than {_SUBJECT_LIMIT // 1024} KB, the rest not read")
        raw = raw[: raw.rfind(b" ", 0, _SUBJECT_LIMIT) + 1 or _SUBJECT_LIMIT]  # never cut an encoded word
    text = decode_header_value(raw, problems, hint=hint, what="subject")
    return " ".join(text.split())  # whitespace runs collapsed: split() splits where \s+ matches


_MESSAGE_ID = re.compile(rb"<[^<>\s]+>")


def _ids(raw: bytes | None) -> list[str]:
    """Message-IDs in angle brackets; a bracketless id (seen from some web mailers) is taken as one word."""
    if not raw:
        return []
    found = _MESSAGE_ID.findall(raw)
    if not found:
        found = [b"<" + word.strip(b"<>") + b">" for word in raw.split() if b"@" in word][:1]
    return [item.decode("utf-8", "replace") for item in found]


_LOOSE_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:T|\s)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:([+-])(\d{2}):?(\d{2}))?"
)


def _date(raw: bytes | None, received: bytes | None, problems: list[str]) -> datetime | None:
    """The Date header as an aware datetime; broken dates fall back to the newest Received stamp."""
    if raw:
        text = decode_header_value(raw, problems, what="date").strip()
        when = _parse_date(text, problems)
        if when is not None:
            return when
        problems.append(f"unreadable date {text[:60]!r}")
    else:
        problems.append("no Date header")
    if received and b";" in received:
        stamp = received.rsplit(b";", 1)[1].decode("utf-8", "replace").strip()
        when = _parse_date(stamp, problems)
        if when is not None:
            problems.append("date taken from Received")
            return when
    return None


# ``Wed, 01 Jan 2025 00:00:00 +0800`` (and a trailing ``(CST)``): what nearly every client writes.
_RFC5322_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})(?: \([^()]*\))?"
)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, 1)}


@lru_cache(maxsize=64)
def _zone(offset: str) -> timezone:
    """``+0800`` as a fixed-offset zone, read as ``parsedate_to_datetime`` reads it (minutes may exceed 59)."""
    number = int(offset)
    minutes = (abs(number) // 100) * 60 + abs(number) % 100
    return timezone(timedelta(minutes=-minutes if number < 0 else minutes))


def _canonical_date(text: str) -> datetime | None:
    """The date of a canonical RFC 5322 stamp without ``email.utils`` (a fifth of its cost); ``None`` when
    ``text`` is not one or is one that ``parsedate_to_datetime`` reads specially (``-0000``, 2-digit years)."""
    match = _RFC5322_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, offset = match.groups()
    if offset == "-0000" or int(year) < 100:
        return None
    try:
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=_zone(offset))
    except ValueError:  # 31 Feb, hour 25, an offset of a day or more: the general parser decides
        return None


def _parse_date(text: str, problems: list[str]) -> datetime | None:
    when = _canonical_date(text)
    if when is not None:
        return when
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        when = _loose_date(text)
    if when is not None and when.tzinfo is None:
        if "-0000" not in text:
            problems.append("date has no time zone, assumed UTC")
        when = when.replace(tzinfo=UTC)
    return when


def _loose_date(text: str) -> datetime | None:
    """ISO-like and Chinese dates (``2026-11-24 18:55``, ``2026年11月24日 18:55``) some mailers write."""
    match = _LOOSE_DATE.search(text)
    if not match:
        return None
    year, month, day, hour, minute, second, sign, zone_h, zone_m = match.groups()
    zone = None
    if sign:
        offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
        zone = timezone(-offset if sign == "-" else offset)
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=zone)
    except (ValueError, OverflowError):
        return None
