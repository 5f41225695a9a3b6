"""Summaries from what a real IMAP server returns: Dovecot's BODY[HEADER], BODY[TEXT]<0.65536>, BODYSTRUCTURE.

This is the shape the sync engine will fetch in; the summary must equal the one made from the message file,
and BODYSTRUCTURE must reveal attachments that lie beyond the first 64 KB of the body.
"""

from __future__ import annotations

import base64
import imaplib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.peers.dovecot import DovecotServer

from mailhub.sync import Address, summarize
from mailhub.sync.bodystructure import parse_bodystructure, text_part

pytestmark = pytest.mark.peer

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
USER, PASSWORD = "reader@dovecot.test", "reader-Secret-1"
FETCH_ITEMS = "(UID RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.65536> BODYSTRUCTURE)"


def large_message() -> bytes:
    """2 MB: a GBK text part, a zip, then a named note that starts far beyond the first 64 KB."""
    zipped = base64.encodebytes(bytes(range(256)) * 6_000).replace(b"\n", b"\r\n")
    return (
        b"From: =?gbk?B?" + base64.b64encode("王五".encode("gbk")) + b"?= <ww@corp.cn>\r\n"
        b"Subject: =?gbk?B?" + base64.b64encode("大附件".encode("gbk")) + b"?=\r\n"
        b"Date: Tue, 24 Nov 2026 18:55:16 +0800\r\nMessage-ID: <large@corp.cn>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="==big=="\r\n\r\n'
        b"--==big==\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + "附件很大，请下载。".encode("gbk") + b"\r\n"
        b"--==big==\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=big.zip\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + zipped + b"\r\n"
        b"--==big==\r\nContent-Type: text/plain; name*=UTF-8''%E5%A4%87%E6%B3%A8.txt\r\n\r\nnote\r\n--==big==--\r\n"
    )


@pytest.fixture(scope="module")
def fetched() -> Iterator[dict[str, tuple[bytes, bytes, int, bytes]]]:
    """Each corpus file and the large message as Dovecot serves them, by file name."""
    files = {case["file"]: (CORPUS / case["file"]).read_bytes() for case in MANIFEST}
    files["large.eml"] = large_message()
    with DovecotServer() as dovecot:
        dovecot.add_user(USER, PASSWORD)
        for raw in files.values():
            dovecot.deliver(USER, raw)
        with imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=dovecot.client_context()) as imap:
            imap.login(USER, PASSWORD)
            imap.select("INBOX", readonly=True)
            _, uids = imap.uid("SEARCH", "ALL")
            served = [_fetch_one(imap, uid) for uid in uids[0].split()]
    by_file = dict(zip(files, served, strict=True))  # Maildir delivery keeps the order of UIDs
    yield by_file


def _fetch_one(imap: imaplib.IMAP4_SSL, uid: bytes) -> tuple[bytes, bytes, int, bytes]:
    status, data = imap.uid("FETCH", uid.decode(), FETCH_ITEMS)
    assert status == "OK"
    header = text = b""
    wire = b""
    for item in data:
        if isinstance(item, tuple):
            prefix, literal = item
            if b"BODY[HEADER]" in prefix:
                header = literal
            elif b"BODY[TEXT]" in prefix:
                text = literal
            wire += prefix + b"\r\n" + literal
        else:
            wire += item
    size = int(re.search(rb"RFC822\.SIZE (\d+)", wire).group(1))  # type: ignore[union-attr]
    return header, text, size, wire[wire.index(b"BODYSTRUCTURE") :]


@pytest.mark.parametrize("case", MANIFEST, ids=[case["file"] for case in MANIFEST])
def test_summary_from_imap_items_equals_summary_from_the_file(
    fetched: dict[str, tuple[bytes, bytes, int, bytes]], case: dict[str, object]
) -> None:
    raw = (CORPUS / str(case["file"])).read_bytes()
    header, text, size, structure = fetched[str(case["file"])]
    served = summarize(header, text, size=size, bodystructure=structure)
    local = summarize(raw)
    assert served.subject == case["subject"]
    assert (served.from_ or Address("", "")).email == case["from_email"]
    assert (served.to, served.cc, served.date, served.snippet) == (local.to, local.cc, local.date, local.snippet)
    assert (served.has_attachments, served.attachment_names) == (local.has_attachments, local.attachment_names)
    assert size == len(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def test_bodystructure_sees_attachments_beyond_the_first_64_kb(
    fetched: dict[str, tuple[bytes, bytes, int, bytes]],
) -> None:
    header, text, size, structure = fetched["large.eml"]
    assert len(text) == 65536 and size > 2_000_000
    from_body = summarize(header, text, size=size)
    assert (from_body.subject, from_body.snippet) == ("大附件", "附件很大，请下载。")
    assert from_body.attachment_names == ["big.zip"]  # the note after the zip is out of reach
    with_structure = summarize(header, text, size=size, bodystructure=structure)
    assert with_structure.attachment_names == ["big.zip", "备注.txt"]
    assert with_structure.problems == []
    first_text = text_part(parse_bodystructure(structure))
    assert first_text is not None and (first_text.section, first_text.params["charset"]) == ("1", "gbk")
