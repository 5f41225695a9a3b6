"""The command parser never fails on any bytes with anything but ParseError, and reads back what it is given."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from mailhub.sandbox.imap.encode import string
from mailhub.sandbox.imap.fetch import parse_fetch_items
from mailhub.sandbox.imap.parser import Atom, ParseError, parse_command, tokenize
from mailhub.sandbox.imap.search import parse_search
from mailhub.sandbox.imap.sequence import parse_sequence_set

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
