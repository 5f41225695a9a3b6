"""A message's MIME tree as byte ranges of the stored bytes: what BODY[1.2], BODYSTRUCTURE and ENVELOPE need.

Sections must be returned byte for byte as stored, so parts are located by offsets in the raw message rather
than re-serialised by the ``email`` package; ``email`` only reads each part's header block (compat32, which
keeps 8-bit bytes such as raw GB18030 as surrogate escapes that we turn back into the original bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value, getaddresses

from mailhub.sandbox.imap.encode import nstring, paren, string

_HEADER_PARSER = BytesHeaderParser(policy=compat32)
_MAX_DEPTH = 20  # nesting deeper than this is treated as an opaque leaf (hostile messages)


@dataclass(slots=True)
class Part:
    """One entity: ``raw[start:body_start]`` is its header block, ``raw[body_start:end]`` its body."""

    start: int
    body_start: int
    end: int
    headers: Message
    children: list[Part] = field(default_factory=list)  # subparts, or the one enclosed message

    @property
    def content_type(self) -> tuple[str, str]:
        maintype, _, subtype = self.headers.get_content_type().partition("/")
        return maintype, subtype

    @property
    def is_multipart(self) -> bool:
        return self.content_type[0] == "multipart" and bool(self.children)

    @property
    def is_message(self) -> bool:
        return self.content_type == ("message", "rfc822") and bool(self.children)


def parse(raw: bytes) -> Part:
    """The MIME tree of a stored message."""
    return _entity(raw, 0, len(raw), depth=0)


def _entity(raw: bytes, start: int, end: int, depth: int) -> Part:
    if raw.startswith(b"\r\n", start):
        body_start = start + 2
    else:
        blank = raw.find(b"\r\n\r\n", start, end)
        body_start = end if blank < 0 else blank + 4
    headers = _HEADER_PARSER.parsebytes(raw[start:body_start])
    part = Part(start, body_start, end, headers)
    if depth >= _MAX_DEPTH:
        return part
    maintype, subtype = part.content_type
    if maintype == "multipart":
        boundary = headers.get_boundary()
        if boundary:
            part.children = [
                _entity(raw, s, e, depth + 1) for s, e in _split(raw, body_start, end, _to_bytes(boundary))
            ]
    elif (maintype, subtype) == ("message", "rfc822") and body_start < end:
        part.children = [_entity(raw, body_start, end, depth + 1)]
    return part


def _split(raw: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """Byte ranges of the body parts between ``--boundary`` delimiter lines (plain ``find``: boundaries are
    unique per message, so a compiled pattern per boundary would cost more than the split itself)."""
    marker = b"--" + boundary
    ranges: list[tuple[int, int]] = []
    part_start: int | None = None
    pos = start
    while (found := raw.find(marker, pos, end)) >= 0:
        after = found + len(marker)
        closing = raw.startswith(b"--", after) and after + 2 <= end
        line_end = after + 2 if closing else after
        while line_end < end and raw[line_end] in b" \t":
            line_end += 1
        at_line_start = found == start or (found - 2 >= start and raw[found - 2 : found] == b"\r\n")
        if not at_line_start or not (line_end == end or raw.startswith(b"\r\n", line_end)):
            pos = found + 1
            continue
        if part_start is not None:
            part_end = found - 2 if found != start else found  # the CRLF before it belongs to the delimiter
            ranges.append((part_start, max(part_start, part_end)))
        if closing:
            return ranges
        part_start = pos = min(line_end + 2, end)
    if part_start is not None:
        ranges.append((part_start, end))  # no closing delimiter: the last part runs to the end
    return ranges


def find_part(root: Part, path: list[int]) -> Part | None:
    """The entity a section part number (``[1, 2]`` for ``1.2``) names, or ``None``."""
    node = root
    for number in path:
        if node.is_message:
            node = node.children[0]
        if node.is_multipart:
            if not 1 <= number <= len(node.children):
                return None
            node = node.children[number - 1]
        elif number != 1:
            return None
    return node


def enclosed_message(part: Part, is_root: bool) -> Part:
    """For ``HEADER``/``TEXT`` sections: the message a part number points into (itself at the top)."""
    return part if is_root or not part.is_message else part.children[0]


# -- header fields -----------------------------------------------------------------------------------
def header_fields(block: bytes) -> list[tuple[bytes, bytes]]:
    """(lower-case name, raw field bytes with its CRLF) of each field in a header block, folded lines kept."""
    fields: list[tuple[bytes, bytes]] = []
    for line in block.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, text = fields[-1]
            fields[-1] = (name, text + line + b"\r\n")
        else:
            fields.append((line.split(b":", 1)[0].strip().lower(), line + b"\r\n"))
    return fields


def select_fields(block: bytes, names: set[bytes], exclude: bool) -> bytes:
    """``HEADER.FIELDS (..)`` / ``HEADER.FIELDS.NOT (..)``: the matching fields plus the blank line."""
    kept = [text for name, text in header_fields(block) if (name in names) != exclude]
    return b"".join(kept) + b"\r\n"


# -- BODYSTRUCTURE and ENVELOPE ----------------------------------------------------------------------------
def _to_bytes(value: object) -> bytes:
    return str(value).encode("utf-8", "surrogateescape")


def _header(headers: Message, name: str) -> bytes | None:
    value = headers.get(name)
    if value is None:
        return None
    return re.sub(rb"\r?\n(?=[ \t])", b"", _to_bytes(value)).strip()


def _params(headers: Message, header: str) -> bytes:
    params = headers.get_params(header=header, unquote=True) or []
    items: list[bytes] = []
    for key, value in params[1:]:
        if not key:
            continue
        items += [string(key.lower()), string(_to_bytes(collapse_rfc2231_value(value)))]
    return paren(items) if items else b"NIL"


def _disposition(headers: Message) -> bytes:
    value = headers.get("content-disposition")
    if value is None:
        return b"NIL"
    kind = _to_bytes(value).split(b";", 1)[0].strip().lower() or b"attachment"
    return paren([string(kind), _params(headers, "content-disposition")])


def body_structure(part: Part, raw: bytes, extensible: bool = True) -> bytes:
    """``BODYSTRUCTURE`` (``extensible``) or ``BODY`` of an entity."""
    headers = part.headers
    if part.is_multipart:
        children = b"".join(body_structure(child, raw, extensible) for child in part.children)
        items = [children, string(part.content_type[1])]
        if extensible:
            items += [_params(headers, "content-type"), _disposition(headers), _language(headers), _location(headers)]
        return b"(" + b" ".join(items) + b")"
    maintype, subtype = part.content_type
    body = raw[part.body_start : part.end]
    params = _params(headers, "content-type")
    if params == b"NIL" and maintype == "text":
        params = b'("charset" "us-ascii")'
    items = [
        string(maintype),
        string(subtype),
        params,
        nstring(_header(headers, "content-id")),
        nstring(_header(headers, "content-description")),
        string((_header(headers, "content-transfer-encoding") or b"7bit").lower()),
        b"%d" % len(body),
    ]
    if part.is_message:
        enclosed = part.children[0]
        items += [envelope(enclosed.headers), body_structure(enclosed, raw, extensible), b"%d" % body.count(b"\n")]
    elif maintype == "text":
        items.append(b"%d" % body.count(b"\n"))
    if extensible:
        items += [
            nstring(_header(headers, "content-md5")),
            _disposition(headers),
            _language(headers),
            _location(headers),
        ]
    return paren(items)


def _language(headers: Message) -> bytes:
    value = _header(headers, "content-language")
    if not value:
        return b"NIL"
    return paren([string(v.strip()) for v in value.split(b",") if v.strip()])


def _location(headers: Message) -> bytes:
    return nstring(_header(headers, "content-location"))


def _addresses(headers: Message, name: str) -> bytes:
    values = headers.get_all(name)
    if not values:
        return b"NIL"
    items = []
    for display, address in getaddresses([str(v) for v in values]):
        if not address and not display:
            continue
        mailbox, _, host = address.rpartition("@") if "@" in address else (address, "", "")
        items.append(
            paren([nstring(_to_bytes(display) or None), b"NIL", nstring(_to_bytes(mailbox)), nstring(host or None)])
        )
    return b"(" + b"".join(items) + b")" if items else b"NIL"


def envelope(headers: Message) -> bytes:
    """``ENVELOPE`` of a message header (RFC 3501 §7.4.2): raw values, encoded words left as they are."""
    sender = "sender" if headers.get("sender") else "from"
    reply_to = "reply-to" if headers.get("reply-to") else "from"
    return paren(
        [
            nstring(_header(headers, "date")),
            nstring(_header(headers, "subject")),
            _addresses(headers, "from"),
            _addresses(headers, sender),
            _addresses(headers, reply_to),
            _addresses(headers, "to"),
            _addresses(headers, "cc"),
            _addresses(headers, "bcc"),
            nstring(_header(headers, "in-reply-to")),
            nstring(_header(headers, "message-id")),
        ]
    )
