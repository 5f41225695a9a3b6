"""SEARCH criteria (RFC 3501 §6.4.4) parsed into a predicate over one message.

Flag, size, date and number keys read only the message row; header and text keys load the body, so
``needs_raw`` tells the caller whether to read bodies at all.
"""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Callable
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.policy import compat32
from email.utils import parsedate_to_datetime

from mailhub.sandbox.imap.parser import Atom, ParseError, Token, as_text
from mailhub.sandbox.imap.sequence import contains, parse_sequence_set
from mailhub.sandbox.mailstore import MessageRow

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}  # fmt: skip
_FLAG_KEYS = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "OLD": ("\\Recent", False),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}
_ADDRESS_KEYS = {"BCC", "CC", "FROM", "SUBJECT", "TO"}


@dataclass(slots=True)
class Candidate:
    """What a criterion may look at: the row, its numbers, and (loaded on demand) the parsed message."""

    row: MessageRow
    seq: int
    largest_seq: int
    largest_uid: int
    _parsed: email.message.Message | None = None

    @property
    def flags(self) -> set[str]:
        return {f.lower() for f in self.row.flags.split()}

    @property
    def parsed(self) -> email.message.Message:
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self.row.raw or b"", policy=compat32)
        return self._parsed


Predicate = Callable[[Candidate], bool]


@dataclass(frozen=True, slots=True)
class Search:
    matches: Predicate
    needs_raw: bool
    uses_modseq: bool = False  # the answer then ends with (MODSEQ <highest>) (RFC 7162)


def parse_search(tokens: list[Token]) -> Search:
    """Criteria after ``SEARCH`` (an optional ``CHARSET x`` already removed); all must match."""
    if not tokens:
        raise ParseError("SEARCH needs criteria")
    reader = _Reader(tokens)
    predicates = []
    while not reader.done:
        predicates.append(reader.criterion())
    return Search(_all(predicates), reader.needs_raw, reader.uses_modseq)


def _all(predicates: list[Predicate]) -> Predicate:
    return lambda c: all(p(c) for p in predicates)


class _Reader:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.needs_raw = False
        self.uses_modseq = False

    @property
    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    def take(self) -> Token:
        if self.done:
            raise ParseError("SEARCH criterion is missing an argument")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def text(self) -> str:
        return as_text(self.take())

    def number(self) -> int:
        text = self.text()
        if not text.isdigit():
            raise ParseError("expected a number")
        return int(text)

    def date(self) -> dt.date:
        text = self.text()
        try:
            day, month, year = text.split("-")
            return dt.date(int(year), _MONTHS[month.lower()], int(day))
        except (ValueError, KeyError):
            raise ParseError(f"invalid date {text[:20]!r}") from None

    def criterion(self) -> Predicate:
        token = self.take()
        if isinstance(token, list):
            inner = _Reader(token)
            predicates = []
            while not inner.done:
                predicates.append(inner.criterion())
            self.needs_raw |= inner.needs_raw
            self.uses_modseq |= inner.uses_modseq
            if not predicates:
                raise ParseError("empty parenthesised criteria")
            return _all(predicates)
        if not isinstance(token, Atom):
            raise ParseError("expected a search key")
        key = token.upper()
        if key == "ALL":
            return lambda c: True
        if key in ("NEW", "RECENT"):
            return lambda c: False  # the sandbox keeps no \Recent
        if key in _FLAG_KEYS:
            flag, wanted = _FLAG_KEYS[key]
            lowered = flag.lower()
            return lambda c: (lowered in c.flags) == wanted
        if key in ("KEYWORD", "UNKEYWORD"):
            keyword, wanted = self.text().lower(), key == "KEYWORD"
            return lambda c: (keyword in c.flags) == wanted
        if key == "NOT":
            inner_predicate = self.criterion()
            return lambda c: not inner_predicate(c)
        if key == "OR":
            left, right = self.criterion(), self.criterion()
            return lambda c: left(c) or right(c)
        if key in ("LARGER", "SMALLER"):
            size, larger = self.number(), key == "LARGER"
            return lambda c: c.row.size > size if larger else c.row.size < size
        if key in ("BEFORE", "ON", "SINCE"):
            return _date_test(key, self.date(), _internal_day)
        if key in ("SENTBEFORE", "SENTON", "SENTSINCE"):
            self.needs_raw = True
            return _date_test(key[4:], self.date(), _sent_day)
        if key == "MODSEQ":
            if not self.done and isinstance(self.tokens[self.pos], bytes):
                self.take()  # entry name and type: the sandbox keeps one mod-sequence per message
                self.take()
            modseq, self.uses_modseq = self.number(), True
            return lambda c: c.row.modseq >= modseq
        if key == "UID":
            text = self.text()
            return lambda c: contains(parse_sequence_set(text, c.largest_uid), c.row.uid)
        if key in _ADDRESS_KEYS or key == "HEADER":
            name = key if key != "HEADER" else self.text()
            needle = self.text().lower()
            self.needs_raw = True
            return lambda c: _header_contains(c, name, needle)
        if key in ("BODY", "TEXT"):
            needle, with_headers = self.text().lower(), key == "TEXT"
            self.needs_raw = True
            return lambda c: _text_contains(c, needle, with_headers)
        if key[:1].isdigit() or key[:1] == "*":
            return lambda c: contains(parse_sequence_set(key, c.largest_seq), c.seq)
        raise ParseError(f"unknown search key {key[:30]!r}")


def _date_test(kind: str, day: dt.date, day_of: Callable[[Candidate], dt.date | None]) -> Predicate:
    def test(candidate: Candidate) -> bool:
        value = day_of(candidate)
        if value is None:
            return False
        return value < day if kind == "BEFORE" else value == day if kind == "ON" else value >= day

    return test


def _internal_day(candidate: Candidate) -> dt.date:
    return dt.datetime.fromtimestamp(candidate.row.internal_date, dt.UTC).date()


def _sent_day(candidate: Candidate) -> dt.date | None:
    value = candidate.parsed.get("date")
    try:
        return parsedate_to_datetime(str(value)).date() if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        return str(value)


def _header_contains(candidate: Candidate, name: str, needle: str) -> bool:
    values = candidate.parsed.get_all(name) or []
    if not needle:
        return bool(values)
    return any(needle in _decoded(v).lower() for v in values)


def _text_contains(candidate: Candidate, needle: str, with_headers: bool) -> bool:
    message = candidate.parsed
    if with_headers and any(needle in f"{k}: {_decoded(v)}".lower() for k, v in message.items()):
        return True
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, "replace")
        except LookupError:
            text = payload.decode("utf-8", "replace")
        if needle in text.lower():
            return True
    return False
