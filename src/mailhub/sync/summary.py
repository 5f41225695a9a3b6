"""The list-view summary of one fetched message, from its header bytes and the start of its body.

The sync engine calls ``summarize`` for every message, so this is a fast path: our own header splitter on
bytes and our own decoding (``decoding.py``), never the stdlib's modern email policy (~2.7 ms a message).
A broken message yields a summary with ``problems`` filled in; it never raises.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from itertools import pairwise
from typing import TypeVar

from mailhub.sync.decoding import (
    Address,
    base64_bytes,
    content_params,
    decode_bytes,
    decode_header_value,
    parse_address_list,
)
from mailhub.sync.html_text import html_to_text

BODY_SCAN_LIMIT = 64 * 1024  # a 5 MB message is summarized from its first 64 KB
SNIPPET_LENGTH = 200
_TEXT_SOURCE_LIMIT = 8 * 1024  # encoded bytes of a text/plain part read for its snippet
_MAX_DEPTH = 8
_MAX_PARTS = 200
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


def summarize(header_bytes: bytes, body_start: bytes | None = None, *, size: int | None = None) -> MessageSummary:
    """The summary of one message; ``header_bytes`` may also be the whole message (the body is then split off).

    ``body_start`` is the start of the body as fetched (e.g. ``BODY.PEEK[TEXT]<0.65536>``); only its first
    64 KB are read. ``size`` is the server's RFC822.SIZE, kept as is.
    """
    try:
        return _summarize(_as_bytes(header_bytes), None if body_start is None else _as_bytes(body_start), size)
    except Exception as exc:  # the last line of defence: a summary that says why it is empty
        return MessageSummary(size=size, problems=[f"message could not be read ({type(exc).__name__})"])


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return bytes(data)


def _summarize(header_bytes: bytes, body_start: bytes | None, size: int | None) -> MessageSummary:
    problems: list[str] = []
    summary = MessageSummary(size=size, problems=problems)
    head, rest = _split_head(header_bytes)
    if body_start is None:
        body_start = rest
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
    _guard(problems, "body", lambda: _read_body(summary, headers, body_start, hint), None)
    if headers.get("x-ms-has-attach", b"").strip().lower() == b"yes":
        summary.has_attachments = True
    elif body_start is None and content_type[:30].lower().lstrip().startswith(b"multipart/mixed"):
        summary.has_attachments = True  # headers only: mixed is how clients wrap attachments (a hint, not proof)
    if "from" not in headers:
        problems.append("no From header")
    elif summary.from_ is None:
        problems.append("From header names no sender")
    del problems[_MAX_PROBLEMS:]
    return summary


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


def _split_head(data: bytes) -> tuple[bytes, bytes | None]:
    """(header section, rest) at the first empty line; rest is None when there is no empty line."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n", 0, crlf if crlf >= 0 else len(data))  # bounded: never rescan a whole attachment
    if lf >= 0:
        return data[: lf + 1], data[lf + 2 :]
    if crlf >= 0:
        return data[: crlf + 2], data[crlf + 4 :]
    return data, None


def split_headers(head: bytes, problems: list[str] | None = None) -> dict[str, bytes]:
    """Unfolded header values by lower-cased name (first occurrence wins), as raw bytes."""
    headers: dict[str, bytes] = {}
    name = ""
    parts: list[bytes] = []
    skipped = 0
    for line in head.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            continue
        if line[0] in (32, 9):  # a folded continuation keeps its leading whitespace
            if name:
                parts.append(line)
            continue
        if name and name not in headers:
            headers[name] = b"".join(parts).strip()
        colon = line.find(b":")
        if colon <= 0 or line.startswith(b"From "):
            name = ""
            skipped += not line.startswith(b"From ")
            continue
        name = line[:colon].strip().lower().decode("latin-1")
        parts = [line[colon + 1 :]]
    if name and name not in headers:
        headers[name] = b"".join(parts).strip()
    if skipped and problems is not None:
        problems.append(f"{skipped} malformed header line(s) skipped")
    return headers


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _charset_hint(content_type: bytes) -> str | None:
    """The body's charset, used to read raw 8-bit header bytes (a Big5 body hints a Big5 subject)."""
    match = _CHARSET.search(content_type)
    return match.group(1).decode("ascii") if match else None


_WHITESPACE = re.compile(r"\s+")


def _subject(raw: bytes | None, problems: list[str], hint: str | None) -> str:
    if not raw:
        return ""
    if len(raw) > _SUBJECT_LIMIT:
        problems.append(f"subject longer than {_SUBJECT_LIMIT // 1024} KB, the rest not read")
        raw = raw[: raw.rfind(b" ", 0, _SUBJECT_LIMIT) + 1 or _SUBJECT_LIMIT]  # never cut an encoded word
    text = decode_header_value(raw, problems, hint=hint, what="subject")
    return _WHITESPACE.sub(" ", text).strip()


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


def _parse_date(text: str, problems: list[str]) -> datetime | None:
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


@dataclass(slots=True)
class _BodyFindings:
    plain: tuple[bytes, str, str | None, bool] | None = None  # (body, transfer encoding, charset, cut off)
    html: tuple[bytes, str, str | None, bool] | None = None
    names: list[str] = field(default_factory=list)
    attachments: int = 0
    parts: int = 0


def _read_body(summary: MessageSummary, headers: dict[str, bytes], body: bytes | None, hint: str | None) -> None:
    problems = summary.problems
    found = _BodyFindings()
    if body is not None:
        body = body[:BODY_SCAN_LIMIT]
    # A fetched body start may end anywhere, even inside a character: decode a single part as cut off.
    _walk(headers, body, found, problems, hint, depth=0, cut=True, in_related=False, in_digest=False)
    summary.has_attachments = found.attachments > 0
    summary.attachment_names = found.names
    chosen = found.plain or found.html
    if chosen is None:
        return
    data, transfer, charset, partial = chosen
    if chosen is found.plain and len(data) > _TEXT_SOURCE_LIMIT:
        data, partial = data[:_TEXT_SOURCE_LIMIT], True
    text = _part_text(data, transfer, charset, partial, problems, hint)
    if chosen is not found.plain:
        text = html_to_text(text)
    summary.snippet = _WHITESPACE.sub(" ", text).strip()[:SNIPPET_LENGTH]


def _walk(
    headers: dict[str, bytes],
    body: bytes | None,
    found: _BodyFindings,
    problems: list[str],
    hint: str | None,
    *,
    depth: int,
    cut: bool,
    in_related: bool,
    in_digest: bool,
) -> None:
    """Records the first text/plain and text/html parts and every attachment of one MIME entity."""
    found.parts += 1
    default = "message/rfc822" if in_digest else "text/plain"
    ctype, cparams = content_params(headers.get("content-type", b""), problems, hint=hint)
    if "/" not in ctype:
        ctype = default
    disposition, dparams = content_params(headers.get("content-disposition", b""), problems, hint=hint)
    name = dparams.get("filename") or cparams.get("name") or ""
    transfer = headers.get("content-transfer-encoding", b"").strip().lower().decode("latin-1")
    maintype = ctype.split("/", 1)[0]

    if maintype == "multipart" and body is not None and depth < _MAX_DEPTH:
        boundary = cparams.get("boundary", "")
        if not boundary:
            boundary = _guess_boundary(body)
            problems.append("multipart without boundary" + (", guessed from the body" if boundary else ""))
        if not boundary:
            return
        digest = ctype == "multipart/digest"
        related = ctype == "multipart/related"
        for part, part_cut in _split_parts(body, boundary.encode("utf-8", "replace")):
            if found.parts >= _MAX_PARTS:
                problems.append("too many MIME parts, the rest not read")
                return
            head, rest = _split_head(part)
            if rest is None:  # a part with headers only, or a body with no headers at all
                head, rest = (part, b"") if b":" in part.split(b"\n", 1)[0] else (b"", part)
            _walk(
                split_headers(head),
                rest,
                found,
                problems,
                hint,
                depth=depth + 1,
                cut=part_cut,
                in_related=related,
                in_digest=digest,
            )
        return
    if maintype == "multipart":
        return
    embedded = in_related and disposition != "attachment" and "content-id" in headers
    if disposition == "attachment" or (name and disposition != "inline" and not embedded):
        _add_attachment(found, name, ctype, body)
        return
    if maintype == "text" and body is not None and ctype in ("text/plain", "text/html") and not name:
        slot = (body, transfer, cparams.get("charset"), cut)
        if ctype == "text/plain" and found.plain is None:
            found.plain = slot
        elif ctype == "text/html" and found.html is None:
            found.html = slot
        return
    if maintype not in ("text", "multipart") and not embedded and not (maintype == "image" and disposition == "inline"):
        _add_attachment(found, name, ctype, body)


def _add_attachment(found: _BodyFindings, name: str, ctype: str, body: bytes | None) -> None:
    found.attachments += 1
    if not name and ctype == "message/rfc822" and body:
        inner = split_headers(_split_head(body)[0])
        subject = _subject(inner.get("subject"), [], None)
        name = f"{subject or 'message'}.eml"
    if name:
        found.names.append(_WHITESPACE.sub(" ", name).strip())


def _split_parts(body: bytes, boundary: bytes) -> list[tuple[bytes, bool]]:
    """The parts between boundary lines; the last one is cut off if the closing boundary was not reached."""
    delimiter = b"--" + boundary
    starts: list[tuple[int, int]] = []  # (start of the delimiter line, start of the part after it)
    closed = False
    position = 0
    while True:
        at = body.find(delimiter, position)
        if at < 0:
            break
        position = at + len(delimiter)
        if at and body[at - 1] != 10:
            continue
        end = body.find(b"\n", position)
        tail = body[position : end if end >= 0 else len(body)].strip()
        if tail not in (b"", b"--") and not tail.startswith(b"--"):
            continue  # another boundary that merely starts with ours
        starts.append((at, end + 1 if end >= 0 else len(body)))
        if tail.startswith(b"--"):
            closed = True
            break
    parts: list[tuple[bytes, bool]] = []
    for (_, begin), (next_at, _) in pairwise(starts):
        stop = next_at - 2 if body[next_at - 2 : next_at] == b"\r\n" else next_at - 1
        parts.append((body[begin:stop], False))
    if starts and not closed:  # cut off (or never closed): its last character may be incomplete
        parts.append((body[starts[-1][1] :], True))
    return parts


def _guess_boundary(body: bytes) -> str:
    for line in body[:4096].split(b"\n"):
        line = line.strip()
        if line.startswith(b"--") and len(line) > 2:
            return line[2:].decode("latin-1")
    return ""


def _part_text(
    data: bytes, transfer: str, charset: str | None, partial: bool, problems: list[str], hint: str | None
) -> str:
    """A text part's characters: transfer encoding undone, charset decoded with the usual fallbacks."""
    if transfer == "base64":
        data = base64_bytes(data, partial=partial)
    elif transfer == "quoted-printable":
        if partial and b"=" in data[-2:]:
            data = data[: data.rfind(b"=", len(data) - 2)]  # never decode an =XX escape cut in two
        data = binascii.a2b_qp(data)
    return decode_bytes(data, charset, "body text", problems, hint=hint, partial=partial)
