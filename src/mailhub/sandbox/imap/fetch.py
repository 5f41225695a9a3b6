"""FETCH: the items a client asks for (``FLAGS``, ``BODY.PEEK[1.MIME]<0.512>``, ...) and their answer.

Rendering returns a list of byte chunks so a 30 MB body goes to the socket without being copied into a
response string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from mailhub.sandbox.imap import mime
from mailhub.sandbox.imap.encode import flag_list, internal_date
from mailhub.sandbox.imap.parser import Atom, ParseError, Token
from mailhub.sandbox.mailstore import MessageRow

_SIMPLE = {"UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY", "RFC822",
           "RFC822.HEADER", "RFC822.TEXT", "MODSEQ"}  # fmt: skip
_MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}
_SECTION_ITEM = re.compile(r"(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)\.(\d+)>)?", re.IGNORECASE)
_SECTION = re.compile(
    r"((?:[1-9]\d{0,8})(?:\.[1-9]\d{0,8})*)?\.?"
    r"(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?\s*(?:\((.*)\))?",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Section:
    """``BODY[<path>.<kind> (<fields>)]<<offset>.<length>>``; ``kind`` is "" for the whole part."""

    path: tuple[int, ...]
    kind: str
    fields: tuple[str, ...]
    offset: int | None
    length: int | None
    peek: bool

    @property
    def label(self) -> bytes:
        """The item name in the answer: ``BODY[1.HEADER.FIELDS (FROM)]<0>``."""
        parts = [".".join(map(str, self.path))] if self.path else []
        if self.kind:
            parts.append(self.kind)
        text = ".".join(parts)
        if self.fields:
            text += " (" + " ".join(self.fields) + ")"
        origin = f"<{self.offset}>" if self.offset is not None else ""
        return f"BODY[{text}]{origin}".encode()


@dataclass(frozen=True, slots=True)
class FetchRequest:
    items: tuple[str | Section, ...]
    needs_raw: bool
    sets_seen: bool


def parse_fetch_items(token: Token, uid_command: bool) -> FetchRequest:
    """The items of ``FETCH <set> <items>``: one atom, a macro, or a parenthesised list.

    Sync tools send the same item list thousands of times (one UID per command), so answers are cached.
    """
    flat = token if isinstance(token, list) else [token]
    if all(isinstance(t, Atom) for t in flat):
        return _cached_items(tuple(flat), isinstance(token, list), uid_command)
    return _parse_fetch_items(token, uid_command)


@lru_cache(maxsize=256)
def _cached_items(atoms: tuple[Atom, ...], listed: bool, uid_command: bool) -> FetchRequest:
    return _parse_fetch_items(list(atoms) if listed else atoms[0], uid_command)


def _parse_fetch_items(token: Token, uid_command: bool) -> FetchRequest:
    tokens = token if isinstance(token, list) else [token]
    if not tokens:
        raise ParseError("empty FETCH item list")
    items: list[str | Section] = ["UID"] if uid_command else []
    for item in tokens:
        if not isinstance(item, Atom):
            raise ParseError("FETCH items are atoms")
        name = item.upper()
        if name in _MACROS and not isinstance(token, list):
            new: list[str | Section] = list(_MACROS[name])
        elif name in _SIMPLE:
            new = [name]
        else:
            new = [_parse_section(item)]
        items += [i for i in new if i not in items]
    needs_raw = any(isinstance(i, Section) or i in ("ENVELOPE", "BODYSTRUCTURE", "BODY") or
                    (i.startswith("RFC822") and i != "RFC822.SIZE") for i in items)  # fmt: skip
    sets_seen = any((isinstance(i, Section) and not i.peek) or i in ("RFC822", "RFC822.TEXT") for i in items)
    return FetchRequest(tuple(items), needs_raw, sets_seen)


def with_modseq(request: FetchRequest) -> FetchRequest:
    """CONDSTORE is on: an answer that carries FLAGS (asked for, or added by an implicit \\Seen) gets MODSEQ."""
    if "MODSEQ" in request.items or not ("FLAGS" in request.items or request.sets_seen):
        return request
    return replace(request, items=(*request.items, "MODSEQ"))


def _parse_section(item: str) -> Section:
    match = _SECTION_ITEM.fullmatch(item)
    if match is None:
        raise ParseError(f"unknown FETCH item {item[:40]!r}")
    name, spec, offset, length = match.groups()
    section = _SECTION.fullmatch(spec.strip())
    if section is None:
        raise ParseError("invalid section")
    path_text, kind, fields_text = section.groups()
    kind = (kind or "").upper()
    if kind.startswith("HEADER.FIELDS") != (fields_text is not None):
        raise ParseError("HEADER.FIELDS needs a field list, and only it takes one")
    if kind == "MIME" and not path_text:
        raise ParseError("MIME needs a part number")
    fields = tuple(f.strip('"').upper() for f in (fields_text or "").split()) if fields_text is not None else ()
    if kind.startswith("HEADER.FIELDS") and not fields:
        raise ParseError("empty field list")
    path = tuple(int(n) for n in path_text.split(".")) if path_text else ()
    return Section(
        path,
        kind,
        fields,
        int(offset) if offset is not None else None,
        int(length) if length is not None else None,
        peek=name.upper().endswith(".PEEK"),
    )


class _Message:
    """A message being rendered, with its MIME tree parsed only when an item needs it."""

    __slots__ = ("_tree", "raw", "row")

    def __init__(self, row: MessageRow) -> None:
        self.row = row
        self.raw = row.raw or b""
        self._tree: mime.Part | None = None

    @property
    def tree(self) -> mime.Part:
        if self._tree is None:
            self._tree = mime.parse(self.raw)
        return self._tree

    def section(self, section: Section) -> bytes | None:
        raw, kind = self.raw, section.kind
        if not section.path:
            header_end = self.row.header_size
            if kind == "":
                return raw
            if kind == "HEADER":
                return raw[:header_end]
            if kind == "TEXT":
                return raw[header_end:]
            return mime.select_fields(raw[:header_end], _names(section), kind.endswith(".NOT"))
        part = mime.find_part(self.tree, list(section.path))
        if part is None:
            return None
        if kind == "":
            return raw[part.body_start : part.end]
        if kind == "MIME":
            return raw[part.start : part.body_start]
        message = mime.enclosed_message(part, is_root=False)
        if kind == "TEXT":
            return raw[message.body_start : message.end]
        block = raw[message.start : message.body_start]
        return block if kind == "HEADER" else mime.select_fields(block, _names(section), kind.endswith(".NOT"))


def _names(section: Section) -> set[bytes]:
    return {f.lower().encode() for f in section.fields}


def render(row: MessageRow, seq: int, request: FetchRequest, add_flags: bool = False) -> list[bytes]:
    """``* <seq> FETCH (...)`` for one message, as chunks ready for ``writelines``."""
    message = _Message(row)
    out: list[bytes] = [b"* %d FETCH (" % seq]
    first = True
    items: tuple[str | Section, ...] = request.items
    if add_flags and "FLAGS" not in items:
        items = (*items, "FLAGS")
        if "MODSEQ" in items:  # keep MODSEQ last, next to the FLAGS it dates
            items = (*(i for i in items if i != "MODSEQ"), "MODSEQ")
    for item in items:
        out.append(b"" if first else b" ")
        first = False
        if isinstance(item, Section):
            data = message.section(item)
            if data is None:
                out.append(item.label + b" NIL")
                continue
            if item.offset is not None:
                data = data[item.offset : item.offset + (item.length or 0)]
            out += [item.label, b" {%d}\r\n" % len(data), data]
        elif item == "UID":
            out.append(b"UID %d" % row.uid)
        elif item == "FLAGS":
            out.append(b"FLAGS " + flag_list(row.flags))
        elif item == "INTERNALDATE":
            out.append(b"INTERNALDATE " + internal_date(row.internal_date))
        elif item == "RFC822.SIZE":
            out.append(b"RFC822.SIZE %d" % row.size)
        elif item == "MODSEQ":
            out.append(b"MODSEQ (%d)" % row.modseq)
        elif item == "ENVELOPE":
            out.append(b"ENVELOPE " + mime.envelope(message.tree.headers))
        elif item == "BODYSTRUCTURE":
            out.append(b"BODYSTRUCTURE " + mime.body_structure(message.tree, message.raw))
        elif item == "BODY":
            out.append(b"BODY " + mime.body_structure(message.tree, message.raw, extensible=False))
        else:  # RFC822, RFC822.HEADER, RFC822.TEXT
            raw, header_end = message.raw, row.header_size
            data = raw if item == "RFC822" else raw[:header_end] if item == "RFC822.HEADER" else raw[header_end:]
            out += [item.encode(), b" {%d}\r\n" % len(data), data]
    out.append(b")\r\n")
    return out
