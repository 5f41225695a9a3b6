"""Reading IMAP commands off the wire: lines with literals, then tokens (atoms, strings, lists).

A command arrives as segments: a line, then for each ``{n}``/``{n+}`` that ends a line the ``n`` bytes of the
literal, then the rest of the line. ``tokenize`` turns the segments into a token tree without ever raising
anything but ``ParseError``, whatever the bytes (a hypothesis test holds it to that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LITERAL = re.compile(rb"\{(\d{1,20})(\+?)\}$")
_TAG = re.compile(r"[!#$&'\-./0-9:;<=>?@A-Z\[\]^_`a-z|}~,]{1,64}")
_ATOM_STOP = frozenset(b' ()"\r\n')


class ParseError(ValueError):
    """The command is malformed; the session answers ``BAD`` and carries on."""


class Atom(str):
    """An unquoted token (a command name, a flag, ``NIL``, a sequence set, ``BODY[...]<...>``)."""

    __slots__ = ()


Token = Atom | bytes | list  # bytes: a quoted string or a literal


@dataclass(frozen=True, slots=True)
class LiteralAnnouncement:
    """The ``{n}`` or ``{n+}`` at the end of a line."""

    size: int
    synchronizing: bool


def literal_at_end(line: bytes) -> LiteralAnnouncement | None:
    match = _LITERAL.search(line)
    if match is None:
        return None
    return LiteralAnnouncement(int(match.group(1)), not match.group(2))


@dataclass(frozen=True, slots=True)
class Command:
    tag: str
    name: str  # upper case
    args: list[Token]


def parse_command(segments: list[bytes]) -> Command:
    """Tag, command name and argument tokens of one command."""
    tokens = tokenize(segments)
    if len(tokens) < 2 or not isinstance(tokens[0], Atom) or not isinstance(tokens[1], Atom):
        raise ParseError("expected a tag and a command name")
    tag, name = tokens[0], tokens[1]
    if not _TAG.fullmatch(tag) or "+" in tag:
        raise ParseError("invalid tag")
    if not name.isalnum():
        raise ParseError("invalid command name")
    return Command(str(tag), name.upper(), tokens[2:])


def read_tag(line: bytes) -> str:
    """The tag of a line (for answering BAD to a command that did not parse), ``*`` if there is none."""
    head = line.split(b" ", 1)[0].decode("ascii", "replace")
    return head if _TAG.fullmatch(head) and "+" not in head else "*"


def tokenize(segments: list[bytes]) -> list[Token]:
    """Token tree of a command: ``Atom`` for atoms, ``bytes`` for strings and literals, ``list`` for ``(...)``."""
    root: list[Token] = []
    stack: list[list[Token]] = [root]
    index = 0
    while index < len(segments):
        line = segments[index]
        announced = literal_at_end(line)
        end = len(line) - len(_LITERAL.search(line).group(0)) if announced else len(line)  # type: ignore[union-attr]
        pos = 0
        while pos < end:
            byte = line[pos]
            if byte == 0x20:
                pos += 1
            elif byte == 0x28:  # (
                child: list[Token] = []
                stack[-1].append(child)
                stack.append(child)
                pos += 1
            elif byte == 0x29:  # )
                if len(stack) == 1:
                    raise ParseError("unbalanced ')'")
                stack.pop()
                pos += 1
            elif byte == 0x22:  # "
                value, pos = _quoted(line, pos + 1, end)
                stack[-1].append(value)
            else:
                value, pos = _atom(line, pos, end)
                stack[-1].append(value)
        if announced:
            if index + 1 >= len(segments):
                raise ParseError("literal announced but missing")
            literal = segments[index + 1]
            if len(literal) != announced.size:
                raise ParseError("literal size mismatch")
            stack[-1].append(literal)
            index += 2
        else:
            index += 1
    if len(stack) != 1:
        raise ParseError("unbalanced '('")
    return root


def _quoted(line: bytes, pos: int, end: int) -> tuple[bytes, int]:
    out = bytearray()
    while pos < end:
        byte = line[pos]
        if byte == 0x5C:  # backslash
            if pos + 1 >= end or line[pos + 1] not in (0x22, 0x5C):
                raise ParseError("bad escape in quoted string")
            out.append(line[pos + 1])
            pos += 2
        elif byte == 0x22:
            return bytes(out), pos + 1
        elif byte in (0x0D, 0x0A):
            raise ParseError("line break in quoted string")
        else:
            out.append(byte)
            pos += 1
    raise ParseError("unterminated quoted string")


def _atom(line: bytes, pos: int, end: int) -> tuple[Atom, int]:
    """An atom; a ``[`` inside it opens a section that may hold spaces and parentheses up to its ``]``."""
    start = pos
    while pos < end:
        byte = line[pos]
        if byte == 0x5B:  # [
            close = line.find(b"]", pos, end)
            if close < 0:
                raise ParseError("unterminated '['")
            pos = close + 1
        elif byte in _ATOM_STOP or byte < 0x20 or byte == 0x7F:
            break
        else:
            pos += 1
    if pos == start:
        raise ParseError(f"unexpected byte 0x{line[pos]:02x}")
    return Atom(line[start:pos].decode("utf-8", "surrogateescape")), pos


def as_text(token: Token) -> str:
    """An atom or string argument as text (mailbox names, user names, search keys)."""
    if isinstance(token, Atom):
        return str(token)
    if isinstance(token, bytes):
        return token.decode("utf-8", "surrogateescape")
    raise ParseError("expected an atom or a string, got a list")


def as_bytes(token: Token) -> bytes:
    if isinstance(token, bytes):
        return token
    if isinstance(token, Atom):
        return token.encode("utf-8", "surrogateescape")
    raise ParseError("expected a string, got a list")
