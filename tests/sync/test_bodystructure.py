"""BODYSTRUCTURE as servers write it: literals, raw GBK, RFC 2231 names, nested and forwarded messages."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailhub.sync import summarize
from mailhub.sync.bodystructure import attachment_names, parse_bodystructure, text_part

# Shaped after real responses: Coremail/Exmail put encoded words in NAME, Dovecot passes RFC 2231 keys
# through, raw GBK arrives as literals, Outlook nests related inside alternative inside mixed.
OUTLOOK_CN = (
    b'BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "gb2312") NIL NIL "BASE64" 120 2 NIL NIL NIL NIL)'
    b'(("TEXT" "HTML" ("CHARSET" "gb2312") NIL NIL "QUOTED-PRINTABLE" 900 12 NIL NIL NIL NIL)'
    b'("IMAGE" "PNG" ("NAME" "image001.png") "<image001.png@01DA>" NIL "BASE64" 5000 NIL '
    b'("inline" ("FILENAME" "image001.png")) NIL NIL) "RELATED" ("BOUNDARY" "r") NIL NIL NIL)'
    b' "ALTERNATIVE" ("BOUNDARY" "a") NIL NIL NIL)'
    b'("APPLICATION" "VND.MS-EXCEL" ("NAME" "=?gb2312?B?sbi829fc.xls?=") NIL NIL "BASE64" 30000 NIL '
    b'("attachment" ("FILENAME*" "GBK\'\'%B1%A8%BC%DB.xls")) NIL NIL)'
    b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 800 ("Tue, 24 Nov 2026 10:00:00 +0800" {4}\r\n\xd4\xad\xbc\xfe'
    b" NIL NIL NIL NIL NIL NIL NIL NIL) "
    b'("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 2 1 NIL NIL NIL NIL) 20 NIL NIL NIL NIL)'
    b' "MIXED" ("BOUNDARY" "m") NIL NIL NIL)'
)


def test_outlook_china_structure() -> None:
    parts = parse_bodystructure(OUTLOOK_CN)
    assert [p.section for p in parts] == ["1.1", "1.2.1", "1.2.2", "2", "3"]
    assert parts[2].embedded and not parts[2].is_attachment  # the signature logo shown by the HTML
    assert parts[3].name == "报价.xls"  # the RFC 2231 filename wins over the NAME parameter
    assert parts[4].subject == "原件"  # raw GBK literal in the forwarded message's envelope
    assert attachment_names(parts) == (True, ["报价.xls", "原件.eml"])
    chosen = text_part(parts)
    assert chosen is not None and (chosen.section, chosen.encoding, chosen.params) == (
        "1.1",
        "base64",
        {"charset": "gb2312"},
    )


def test_single_part_and_nil_disposition() -> None:
    parts = parse_bodystructure(b'("text" "html" ("charset" "big5") NIL NIL "8bit" 10 1 NIL NIL NIL NIL)')
    assert [(p.section, p.content_type, p.params) for p in parts] == [("1", "text/html", {"charset": "big5"})]
    assert attachment_names(parts) == (False, [])
    pdf = parse_bodystructure(b'("application" "pdf" ("name" "scan.pdf") NIL NIL "base64" 4)')  # no extensions
    assert attachment_names(pdf) == (True, ["scan.pdf"])


@pytest.mark.parametrize(
    "data", [b"", b"BODYSTRUCTURE", b"(", b'("text" "plain"', b"((((", b"(" * 100 + b")" * 100, b"({99}\r\nab)"]
)
def test_malformed_structures_raise_value_error_and_summaries_note_it(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_bodystructure(data)
    summary = summarize(b"From: a@b.cn\r\nSubject: s\r\n", bodystructure=data)
    assert summary.subject == "s"
    assert any(p.startswith("unreadable BODYSTRUCTURE") for p in summary.problems)


@given(
    st.lists(
        st.sampled_from([b"(", b")", b'"', b"NIL", b" ", b"{3}\r\n", b"text", b"plain", b"\xd6\xd0"])
        | st.binary(max_size=6)
    )
)
def test_random_structures_never_break_a_summary(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    with contextlib.suppress(ValueError):
        parse_bodystructure(data)
    summary = summarize(b"From: a@b.cn\r\n", bodystructure=data)
    assert summary.from_ is not None
