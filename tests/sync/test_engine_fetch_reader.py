"""The FETCH reader: literals read exactly wherever the stream splits them, items split without a parse tree."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from mailhub.sync.fetch_reader import ResponseReader, fetch_items, read_fetch
from mailhub.sync.imap_session import uid_set

STRUCTURE = b'("text" "plain" ("charset" "gbk" "name" {9}\r\n(a) "b\\".txt) NIL NIL "8bit" 12 1 NIL NIL NIL NIL)'


def response(header: bytes, text: bytes) -> bytes:
    return (
        b'* 7 FETCH (UID 42 FLAGS (\\Seen $Forwarded) RFC822.SIZE 1234 INTERNALDATE " 4-Nov-2026 09:05:01 +0800"'
        b" BODYSTRUCTURE " + STRUCTURE + b" MODSEQ (99)"
        b" BODY[HEADER] {"
        + str(len(header)).encode()
        + b"}\r\n"
        + header
        + b" BODY[TEXT]<0> {"
        + str(len(text)).encode()
        + b"}\r\n"
        + text
        + b")"
    )


async def read_all(data: bytes, chunk: int) -> list[bytes]:
    reader = asyncio.StreamReader(limit=64)
    for start in range(0, len(data), chunk):
        reader.feed_data(data[start : start + chunk])
    reader.feed_eof()
    responses = ResponseReader(reader)
    out = []
    while not reader.at_eof():
        out.append(await responses.read_response())
    return out


@given(
    header=st.binary(max_size=300).map(lambda b: b"Subject: x\r\n" + b),
    text=st.binary(max_size=300),
    chunk=st.integers(min_value=1, max_value=97),
)
async def test_literals_come_back_exactly_however_the_stream_is_cut(header: bytes, text: bytes, chunk: int) -> None:
    wire = response(header, text) + b"\r\n" + b"s1 OK done\r\n"
    first, done = await read_all(wire, chunk)
    assert done == b"s1 OK done"
    message = read_fetch(first)
    assert message is not None
    assert (message.seq, message.uid, message.size, message.modseq) == (7, 42, 1234, 99)
    assert message.flags == ("\\Seen", "$Forwarded")
    assert message.internaldate == " 4-Nov-2026 09:05:01 +0800"
    assert (message.header, message.text) == (header, text)
    assert message.bodystructure == STRUCTURE


def test_other_responses_are_not_fetches_and_broken_fetches_say_so() -> None:
    assert fetch_items(b"* 3 EXISTS") is None
    assert fetch_items(b"* SEARCH 1 2 3") is None
    for broken in (b"* 1 FETCH (UID 5 BODY[] {10}\r\nshort)", b"* 1 FETCH (UID 5 FLAGS (\\Seen"):
        try:
            fetch_items(broken)
        except ValueError:
            continue
        raise AssertionError(f"accepted {broken!r}")


def test_uid_sets_are_compact() -> None:
    assert uid_set([5, 1, 2, 3, 8, 10, 11, 3]) == "1:3,5,8,10:11"
