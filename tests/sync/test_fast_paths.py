"""The summary's fast paths give what the general code gives, for any input (property tests)."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mailhub.sync.addresses import _address_groups, _addresses, _single_mailbox
from mailhub.sync.bodystructure import _read, _read_tokens
from mailhub.sync.mime import SNIPPET_LENGTH, snippet_of
from mailhub.sync.summary import MONTH_NAMES, _canonical_date

STRUCTURE_PIECES = [b"(", b")", b'"', b"NIL", b" ", b"\t", b"\x0c", b"{3}\r\n", b"\\", b'"utf-8"', b"\xd6\xd0", b"12"]
ADDRESS_PIECES = ["a@b.cn", "<", ">", " ", "=?utf-8?b?5p2O5aic?=", '"', ",", ";", ":", "(", ")", "@", "=", "mailto:"]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(STRUCTURE_PIECES) | st.binary(max_size=3)))
def test_token_reader_reads_the_same_tree_as_the_byte_reader(pieces: list[bytes]) -> None:
    data = b"(" + b"".join(pieces)
    tree = _read_tokens(data, 0)
    if tree is not None:  # None: left to the byte reader
        assert tree == _read(data, 0, 0)[0]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(ADDRESS_PIECES) | st.text(max_size=2), max_size=10))
def test_single_mailbox_reads_as_the_tokenizer_does(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast_problems: list[str] = []
    fast = _single_mailbox(text, fast_problems, None, "from")
    if fast is not None:
        slow_problems: list[str] = []
        assert [fast] == _addresses(_address_groups(text), slow_problems, None, "from")
        assert fast_problems == slow_problems


@given(
    st.integers(1, 31),
    st.sampled_from(MONTH_NAMES),
    st.integers(0, 9999),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from(["+0800", "-0000", "+0000", "-0530", "+2400", "+0860"]),
)
def test_canonical_dates_match_the_email_package(day: int, month: str, year: int, hour: int, s: int, zone: str) -> None:
    text = f"Tue, {day} {month} {year:04d} {hour:02d}:07:{s:02d} {zone}"
    fast = _canonical_date(text)
    if fast is not None:
        assert fast == parsedate_to_datetime(text)
        assert fast.utcoffset() == parsedate_to_datetime(text).utcoffset()


@given(st.lists(st.sampled_from([" ", "\n", "\u3000", "中文", "x" * 90, " " * 300]) | st.text(max_size=4)))
def test_snippet_collapses_whitespace_like_a_regex(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert snippet_of(text) == re.sub(r"\s+", " ", text).strip()[:SNIPPET_LENGTH]
