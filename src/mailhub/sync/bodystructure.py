"""Parts and attachments from an IMAP ``BODYSTRUCTURE`` (RFC 3501 §7.4.2), as a server sends it.

With it the sync engine learns every attachment of a 20 MB message without fetching its body, and which
section holds the text for the snippet. Values arrive as quoted strings or literals, sometimes raw GBK, with
RFC 2231 or encoded-word names, exactly as in the headers, so the same decoding applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from mailhub.sync.decoding import decode_header_value, decode_params, raw_header_text
from mailhub.sync.mime import is_attachment

_MAX_NESTING = 40
MAX_PARTS = 500
MAX_SIZE = 128 * 1024  # a 500-part structure is about 60 KB
_ATOM = re.compile(rb"[^\s()\"{]+")
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n")

Item = bytes | None | list["Item"]


@dataclass(frozen=True, slots=True)
class StructurePart:
    """One leaf part: ``section`` is what ``BODY.PEEK[<section>]`` fetches ("1", "2.1")."""

    section: str
    content_type: str
    params: dict[str, str] = field(default_factory=dict)
    disposition: str = ""
    disposition_params: dict[str, str] = field(default_factory=dict)
    content_id: str | None = None
    encoding: str = ""
    size: int = 0
    embedded: bool = False  # has a Content-ID inside multipart/related: shown by the HTML, not a file
    subject: str = ""  # of an attached message/rfc822, from its envelope

    @property
    def name(self) -> str:
        return self.disposition_params.get("filename") or self.params.get("name") or ""

    @property
    def is_attachment(self) -> bool:
        return is_attachment(self.content_type, self.name, self.disposition, embedded=self.embedded)


def parse_bodystructure(
    data: bytes, problems: list[str] | None = None, *, hint: str | None = None
) -> list[StructurePart]:
    """The leaf parts of a BODYSTRUCTURE in order; literals (``{n}\\r\\n...``) are read inline.

    ``data`` may start with the keyword (``BODYSTRUCTURE (...)``); raises ValueError when it is not one
    (or is too big to be one a real message has).
    """
    if len(data) > MAX_SIZE:
        raise ValueError(f"longer than {MAX_SIZE // 1024} KB")
    start = data.find(b"(")
    if start < 0:
        raise ValueError("no BODYSTRUCTURE list")
    tree = _read_tokens(data, start)
    if tree is None:  # literals, stray bytes or an error: the byte-by-byte reader handles (or names) them
        tree, _ = _read(data, start, 0)
    if not isinstance(tree, list):
        raise ValueError("BODYSTRUCTURE is not a list")
    parts: list[StructurePart] = []
    _leaves(tree, "", parts, problems, hint, in_related=False)
    if len(parts) >= MAX_PARTS and problems is not None:
        problems.append(f"BODYSTRUCTURE has more than {MAX_PARTS} parts, the rest not read")
    return parts


def attachment_names(parts: list[StructurePart]) -> tuple[bool, list[str]]:
    """(has attachments, their names) by the same rules as a body read from bytes."""
    names: list[str] = []
    found = False
    for part in parts:
        if part.is_attachment:
            found = True
            name = part.name or (f"{part.subject or 'message'}.eml" if part.content_type == "message/rfc822" else "")
            if name:
                names.append(" ".join(name.split()))
    return found, names


def text_part(parts: list[StructurePart]) -> StructurePart | None:
    """The part to fetch for a snippet: the first text/plain body part, else the first text/html one."""
    bodies = [p for p in parts if p.content_type in ("text/plain", "text/html") and not p.is_attachment]
    return next((p for p in bodies if p.content_type == "text/plain"), bodies[0] if bodies else None)


# One token of a structure without literals: a paren, a quoted string, an atom, or one byte that needs the
# full reader (``{`` of a literal, an unclosed quote, a whitespace byte ``_read`` does not skip).
_TOKEN = re.compile(rb'[()]|"(?:[^"\\]|\\.)*"|[^\s()"{]+|[^ \t\r\n]', re.S)
_ESCAPE = re.compile(rb"\\(.)", re.S)


def _read_tokens(data: bytes, start: int) -> list[Item] | None:
    """The list at ``data[start]`` read from a regex token stream (C speed per token, a Python step per
    token instead of per byte); ``None`` when the structure needs ``_read`` (which gives the same tree)."""
    stack: list[list[Item]] = []
    current: list[Item] = []
    for token in _TOKEN.findall(data, start):
        first = token[0]
        if first == 0x28:  # (
            if len(stack) >= _MAX_NESTING - 1:
                return None
            stack.append(current)
            current = []
        elif first == 0x29:  # )
            if not stack:
                return None
            done, current = current, stack.pop()
            if not stack:
                return done
            current.append(done)
        elif first == 0x22:  # "
            if len(token) < 2:
                return None  # an unclosed quote
            value = token[1:-1]
            current.append(_ESCAPE.sub(rb"\1", value) if b"\\" in value else value)
        elif first in b"{\x0b\x0c":
            return None
        else:
            current.append(None if token.upper() == b"NIL" else token)
    return None


def _read(data: bytes, i: int, depth: int) -> tuple[Item, int]:
    """One item at ``data[i:]`` (after spaces) and the index after it."""
    length = len(data)
    while i < length and data[i] in b" \t\r\n":
        i += 1
    if i >= length:
        raise ValueError("BODYSTRUCTURE ends early")
    ch = data[i]
    if ch == 0x28:  # (
        if depth >= _MAX_NESTING:
            raise ValueError("BODYSTRUCTURE nested too deep")
        items: list[Item] = []
        i += 1
        while True:
            while i < length and data[i] in b" \t\r\n":
                i += 1
            if i >= length:
                raise ValueError("unclosed list in BODYSTRUCTURE")
            if data[i] == 0x29:  # )
                return items, i + 1
            item, i = _read(data, i, depth + 1)
            items.append(item)
    if ch == 0x22:  # "
        out = bytearray()
        i += 1
        while i < length and data[i] != 0x22:
            if data[i] == 0x5C and i + 1 < length:  # backslash escapes the next byte
                i += 1
            out.append(data[i])
            i += 1
        return bytes(out), i + 1
    if ch == 0x7B:  # {
        match = _LITERAL.match(data, i)
        if not match:
            raise ValueError("bad literal in BODYSTRUCTURE")
        end = match.end() + int(match.group(1))
        return data[match.end() : end], end
    match = _ATOM.match(data, i)
    if not match:
        raise ValueError(f"unexpected byte {ch:#x} in BODYSTRUCTURE")
    atom = match.group()
    return (None if atom.upper() == b"NIL" else atom), match.end()


def _text(item: Item, problems: list[str] | None, hint: str | None) -> str:
    return raw_header_text(item, "bodystructure", problems, hint) if isinstance(item, bytes) else ""


def _params(item: Item, problems: list[str] | None, hint: str | None) -> dict[str, str]:
    if not isinstance(item, list):
        return {}
    if len(item) <= 8 and all(type(value) is bytes and len(value) <= 256 for value in item):
        params, notes = _params_memo(tuple(item), hint)  # type: ignore[arg-type]
        if problems is not None:
            problems.extend(notes)
        return dict(params)
    return _decoded_params(item, problems, hint)


# Parameter lists repeat from message to message (("charset" "utf-8")): short ones are decoded once, with
# the problem notes they made; every part gets its own copy.
@lru_cache(maxsize=2048)
def _params_memo(item: tuple[bytes, ...], hint: str | None) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    notes: list[str] = []
    params = _decoded_params(list(item), notes, hint)
    return tuple(params.items()), tuple(notes)


def _decoded_params(item: list[Item], problems: list[str] | None, hint: str | None) -> dict[str, str]:
    values = [_text(value, problems, hint) for value in item]
    return decode_params(zip(values[::2], values[1::2], strict=False), problems, hint=hint)


def _leaves(
    node: list[Item],
    section: str,
    out: list[StructurePart],
    problems: list[str] | None,
    hint: str | None,
    *,
    in_related: bool,
) -> None:
    if node and isinstance(node[0], list):  # multipart: child bodies, then the subtype, then extensions
        count = 0
        while count < len(node) and isinstance(node[count], list):
            count += 1
        subtype = _text(node[count], problems, hint).lower() if count < len(node) else ""
        for number, child in enumerate(node[:count], start=1):
            if len(out) >= MAX_PARTS:
                return
            assert isinstance(child, list)
            child_section = f"{section}.{number}" if section else str(number)
            _leaves(child, child_section, out, problems, hint, in_related=subtype == "related")
        return
    items = node + [None] * (12 - len(node))
    maintype = _text(items[0], problems, hint).lower()
    ctype = f"{maintype}/{_text(items[1], problems, hint).lower()}"
    extension = 7  # body-fields end at the size; text adds a line count, message/rfc822 three items
    subject = ""
    if maintype == "text":
        extension = 8
    elif ctype == "message/rfc822":
        extension = 10
        envelope = items[7]
        if isinstance(envelope, list) and len(envelope) > 1:
            subject = " ".join(decode_header_value(_text(envelope[1], problems, hint), problems, hint=hint).split())
    disposition, disposition_params = "", {}
    dsp = items[extension + 1]  # after the MD5
    if isinstance(dsp, list) and dsp:
        disposition = _text(dsp[0], problems, hint).lower()
        disposition_params = _params(dsp[1] if len(dsp) > 1 else None, problems, hint)
    content_id = _text(items[3], problems, hint) or None
    size = items[6]
    out.append(
        StructurePart(
            section=section or "1",
            content_type=ctype,
            params=_params(items[2], problems, hint),
            disposition=disposition,
            disposition_params=disposition_params,
            content_id=content_id,
            encoding=_text(items[5], problems, hint).lower(),
            size=int(size) if isinstance(size, bytes) and size.isdigit() else 0,
            embedded=in_related and content_id is not None,
            subject=subject,
        )
    )
