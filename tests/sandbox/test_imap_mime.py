"""Sections and BODYSTRUCTURE of a forwarded message (message/rfc822 inside multipart), byte for byte."""

from __future__ import annotations

from mailhub.sandbox.imap import mime
from mailhub.sandbox.imap.fetch import parse_fetch_items, render
from mailhub.sandbox.imap.parser import Atom
from mailhub.sandbox.mailstore.model import MessageRow, header_size

INNER = b"From: origin@factory.cn\r\nSubject: original\r\n\r\ninner body\r\n"
FORWARD = (
    b"From: boss@trade-demo.cn\r\n"
    b"Subject: Fwd: original\r\n"
    b'Content-Type: multipart/mixed; boundary="fw"\r\n'
    b"\r\n"
    b"--fw\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"see below\r\n"
    b"--fw\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n" + INNER + b"\r\n--fw--\r\n"
)


def fetch(item: str) -> bytes:
    row = MessageRow(1, "", 0.0, len(FORWARD), header_size(FORWARD), 1, FORWARD)
    return b"".join(render(row, 1, parse_fetch_items(Atom(item), False)))


def test_sections_inside_an_enclosed_message() -> None:
    assert fetch("BODY.PEEK[2]") == b"* 1 FETCH (BODY[2] {%d}\r\n%s)\r\n" % (len(INNER), INNER)
    inner_header = INNER[: INNER.index(b"\r\n\r\n") + 4]
    assert fetch("BODY.PEEK[2.HEADER]").endswith(b"{%d}\r\n%s)\r\n" % (len(inner_header), inner_header))
    assert fetch("BODY.PEEK[2.TEXT]").endswith(b"{12}\r\ninner body\r\n)\r\n")
    assert fetch("BODY.PEEK[2.1]").endswith(b"{12}\r\ninner body\r\n)\r\n")
    assert fetch("BODY.PEEK[1]").endswith(b"{9}\r\nsee below)\r\n")
    assert fetch("BODY.PEEK[3]") == b"* 1 FETCH (BODY[3] NIL)\r\n"


def test_bodystructure_of_an_enclosed_message_carries_its_envelope() -> None:
    structure = mime.body_structure(mime.parse(FORWARD), FORWARD)
    assert structure.startswith(b'(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 ')
    envelope = b'(NIL "original" ((NIL NIL "origin" "factory.cn"))'
    assert b'("message" "rfc822" NIL NIL NIL "7bit" %d %s' % (len(INNER), envelope) in structure
    assert structure.endswith(b' "mixed" ("boundary" "fw") NIL NIL NIL)')
