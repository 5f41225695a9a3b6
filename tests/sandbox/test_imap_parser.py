"""The command parser never fails on any bytes with anything but ParseError, and reads back what it is given."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from mailhub.sandbox.imap.encode import string
from mailhub.sandbox.imap.fetch import parse_fetch_items, render
from mailhub.sandbox.imap.parser import Atom, ParseError, parse_command, tokenize
from mailhub.sandbox.imap.search import parse_search
from mailhub.sandbox.imap.sequence import parse_sequence_set
from mailhub.sandbox.mailstore.model import MessageRow, header_size

ATOM_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\\.:*$-_")
atoms = st.text(ATOM_CHARS, min_size=1, max_size=12).map(Atom)
strings = st.binary(max_size=40)
tokens = st.recursive(atoms | strings, lambda children: st.lists(children, max_size=4), max_leaves=12)


def serialise(token) -> list[bytes]:
    """Segments as a client would send them: strings become quoted strings or literals."""
    if isinstance(token, Atom):
        return [token.encode()]
    if isinstance(token, bytes):
        encoded = string(token)
        if encoded.startswith(b"{"):
            head, _, body = encoded.partition(b"\r\n")
            return [head, body, b""]
        return [encoded]
    segments = [b"("]
    for index, child in enumerate(token):
        if index:
            segments[-1] += b" "
        child_segments = serialise(child)
        segments[-1] += child_segments[0]
        segments += child_segments[1:]
    segments[-1] += b")"
    return segments


def join(segments_list: list[list[bytes]]) -> list[bytes]:
    out = [b"t1 CMD"]
    for segments in segments_list:
        out[-1] += b" " + segments[0]
        out += segments[1:]
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(tokens, max_size=6))
def test_round_trip_of_token_trees(args) -> None:
    command = parse_command(join([serialise(a) for a in args]))
    assert (command.tag, command.name) == ("t1", "CMD")
    assert command.args == args


@settings(max_examples=500, deadline=None)
@given(st.lists(st.binary(max_size=80), min_size=1, max_size=4))
def test_any_bytes_parse_or_raise_parse_error(segments) -> None:
    try:
        tokenize(segments)
        parse_command(segments)
    except ParseError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(tokens, min_size=1, max_size=6))
def test_fetch_and_search_arguments_never_crash(args) -> None:
    for parse in (lambda: parse_fetch_items(args, False), lambda: parse_search(args)):
        with contextlib.suppress(ParseError):
            parse()


@given(st.text(st.sampled_from("0123456789:,*"), max_size=20), st.integers(0, 10_000))
def test_sequence_sets_give_ordered_ranges_or_parse_error(text, largest) -> None:
    try:
        ranges = parse_sequence_set(text, largest)
    except ParseError:
        return
    assert all(low <= high for low, high in ranges)


MIME_PIECES = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/plain; charset=gb18030\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%E6%8A%A5.pdf\r\n",
        b'From: "x" <a@b>, broken <\r\n',
        b"Subject: =?GB18030?B?sai827Wl?=\r\n",
        b"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"\xff\xfe\x80 body\r\n",
        b" folded\r\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(MIME_PIECES | st.binary(max_size=20), max_size=25))
def test_fetch_of_any_stored_message_never_crashes(pieces) -> None:
    raw = b"".join(pieces)
    row = MessageRow(1, "", 0.0, len(raw), header_size(raw), 1, raw)
    items = [Atom(i) for i in ("ENVELOPE", "BODYSTRUCTURE", "BODY", "BODY.PEEK[1.2.MIME]", "BODY.PEEK[2.1.TEXT]")]
    answer = b"".join(render(row, 1, parse_fetch_items(items, True)))
    assert answer.startswith(b"* 1 FETCH (UID 1 ") and answer.endswith(b")\r\n")
