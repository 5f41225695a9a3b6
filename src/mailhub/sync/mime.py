"""MIME structure from raw bytes, fast: header sections, parts between boundaries, and a body's outline.

Only what a list view needs is read: the first text/plain (else text/html) part for the snippet and the
name of every attachment, from at most the first 64 KB of the body. Cut-off bodies are the normal case.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from itertools import pairwise

from mailhub.sync.decoding import base64_bytes, content_params, decode_bytes, decode_header_value
from mailhub.sync.html_text import html_to_text

BODY_SCAN_LIMIT = 64 * 1024  # a 5 MB message is summarized from its first 64 KB
SNIPPET_LENGTH = 200
_TEXT_SOURCE_LIMIT = 8 * 1024  # encoded bytes of a text/plain part read for its snippet
_MAX_DEPTH = 8
_MAX_PARTS = 200
_PARAMS_LIMIT = 8 * 1024  # of a Content-Type or Content-Disposition value; real ones stay under 1 KB


def split_head(data: bytes) -> tuple[bytes, bytes | None]:
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
    # One CRLF -> LF pass and one split, instead of stripping a CR from every line (the last has no LF).
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1].endswith(b"\r"):
        lines[-1] = lines[-1][:-1]
    for line in lines:
        if not line:
            continue
        if line[0] in (32, 9):  # a folded continuation keeps its leading whitespace
            if name:
                parts.append(line)
            continue
        if name and name not in headers:
            headers[name] = b"".join(parts).strip()
        field, colon, value = line.partition(b":")
        if not colon or not field or line.startswith(b"From "):
            name = ""
            skipped += not line.startswith(b"From ")
            continue
        name = field.strip().lower().decode("latin-1")
        parts = [value]
    if name and name not in headers:
        headers[name] = b"".join(parts).strip()
    if skipped and problems is not None:
        problems.append(f"{skipped} malformed header line(s) skipped")
    return headers


@dataclass(slots=True)
class _BodyFindings:
    plain: tuple[bytes, str, str | None, bool] | None = None  # (body, transfer encoding, charset, cut off)
    html: tuple[bytes, str, str | None, bool] | None = None
    names: list[str] = field(default_factory=list)
    attachments: int = 0
    parts: int = 0


@dataclass(slots=True)
class BodyOutline:
    """What the start of a body shows a list view: a snippet and the attachments seen."""

    snippet: str = ""
    has_attachments: bool = False
    attachment_names: list[str] = field(default_factory=list)


def outline_body(
    headers: dict[str, bytes], body: bytes | None, problems: list[str], hint: str | None = None
) -> BodyOutline:
    """The snippet and attachments of a message whose top-level headers are ``headers``."""
    found = _BodyFindings()
    if body is not None:
        body = body[:BODY_SCAN_LIMIT]
    # A fetched body start may end anywhere, even inside a character: decode a single part as cut off.
    _walk(headers, body, found, problems, hint, depth=0, cut=True, in_related=False, in_digest=False)
    outline = BodyOutline(has_attachments=found.attachments > 0, attachment_names=found.names)
    chosen = found.plain or found.html
    if chosen is None:
        return outline
    data, transfer, charset, partial = chosen
    if chosen is found.plain and len(data) > _TEXT_SOURCE_LIMIT:
        data, partial = data[:_TEXT_SOURCE_LIMIT], True
    text = _part_text(data, transfer, charset, partial, problems, hint)
    if chosen is not found.plain:
        text = html_to_text(text)
    outline.snippet = snippet_of(text)
    return outline


def snippet_of(text: str) -> str:
    """The first ``SNIPPET_LENGTH`` characters of ``text`` with whitespace runs collapsed and the ends stripped.

    ``str.split()`` splits at exactly the characters ``\\s`` matches in a ``str`` pattern (both use Python's
    Unicode whitespace test), at a fifth of the cost of ``re.sub`` on CJK text."""
    return " ".join(text.split())[:SNIPPET_LENGTH]


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
    ctype, cparams = content_params(headers.get("content-type", b"")[:_PARAMS_LIMIT], problems, hint=hint)
    if "/" not in ctype:
        ctype = default
    disposition, dparams = content_params(headers.get("content-disposition", b"")[:_PARAMS_LIMIT], problems, hint=hint)
    name = dparams.get("filename") or cparams.get("name") or ""
    transfer = headers.get("content-transfer-encoding", b"").strip().lower().decode("latin-1")
    maintype = ctype.partition("/")[0]
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
            head, rest = split_head(part)
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
    embedded = in_related and "content-id" in headers
    if is_attachment(ctype, name, disposition, embedded=embedded):
        _add_attachment(found, name, ctype, body)
    elif body is not None and ctype in ("text/plain", "text/html"):
        slot = (body, transfer, cparams.get("charset"), cut)
        if ctype == "text/plain" and found.plain is None:
            found.plain = slot
        elif ctype == "text/html" and found.html is None:
            found.html = slot


def is_attachment(ctype: str, name: str, disposition: str, *, embedded: bool) -> bool:
    """Whether a leaf part is a file the list view should count (the paperclip), in what clients send.

    ``embedded`` is a part with a Content-ID inside multipart/related: a picture the HTML shows (a signature
    logo), not a file. Apple Mail marks real PDFs ``inline``; Foxmail names parts without a disposition.
    """
    if disposition == "attachment":
        return True
    if embedded:
        return False
    maintype = ctype.partition("/")[0]
    if maintype == "multipart" or (maintype == "text" and not name):
        return False  # body text: plain, html, calendar
    if maintype == "image" and disposition == "inline":
        return bool(name)
    return True


def _add_attachment(found: _BodyFindings, name: str, ctype: str, body: bytes | None) -> None:
    found.attachments += 1
    if not name and ctype == "message/rfc822" and body:
        inner = split_headers(split_head(body)[0])
        subject = " ".join(decode_header_value(inner.get("subject", b"")).split())
        name = f"{subject or 'message'}.eml"
    if name:
        found.names.append(" ".join(name.split()))


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
