"""Reading and changing messages the way mail clients do: FETCH variants, SEARCH, STORE, COPY/MOVE, EXPUNGE."""

from __future__ import annotations

import imaplib

import pytest
from conftest_imap import ADDRESS, PASSWORD, RunningImap, Transcript, imap_fixture  # noqa: F401  (fixture)
from imapclient import IMAPClient

PLAIN = (
    b"From: =?UTF-8?B?5p2O5Zub?= <li.si@partner.cn>\r\n"
    b'To: zhang.wei@trade-demo.cn, "Wang" <wang@trade-demo.cn>\r\n'
    b"Subject: Quotation for order 42\r\n"
    b"Date: Tue, 02 Jan 2024 09:30:00 +0800\r\n"
    b"Message-ID: <q42@partner.cn>\r\n"
    b"\r\n"
    b"Please find the price list below.\r\n"
    b"Best regards\r\n"
)
GB18030_SUBJECT = "报价单 第二季度"
GB18030 = (
    b"From: sales@factory.cn\r\n"
    b"To: zhang.wei@trade-demo.cn\r\n"
    b"Subject: =?GB18030?B?" + __import__("base64").b64encode(GB18030_SUBJECT.encode("gb18030")) + b"?=\r\n"
    b"Date: Wed, 03 Jan 2024 10:00:00 +0800\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=GB18030\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "您好，附件是第二季度的报价。\r\n".encode("gb18030")
)
MULTIPART = (
    b"From: buyer@client.com\r\n"
    b"To: zhang.wei@trade-demo.cn\r\n"
    b"Subject: PO with attachment\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--b1\r\n"
    b'Content-Type: multipart/alternative; boundary="b2"\r\n'
    b"\r\n"
    b"--b2\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"plain body\r\n"
    b"--b2\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>html body</p>\r\n"
    b"--b2--\r\n"
    b"--b1\r\n"
    b'Content-Type: application/pdf; name="po.pdf"\r\n'
    b'Content-Disposition: attachment; filename="po.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--b1--\r\n"
)


def deliver_samples(imap: RunningImap) -> list[int]:
    imap.bind_user()
    mail = imap.sandbox.mail
    return [mail.deliver(ADDRESS, raw) for raw in (PLAIN, GB18030, MULTIPART)]


def selected_transcript(imap: RunningImap) -> Transcript:
    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.login(ADDRESS, PASSWORD)
    assert talk.command("SELECT INBOX")[1].startswith(b"OK [READ-WRITE]")
    return talk


def test_fetch_whole_message_headers_text_and_partials_byte_for_byte(imap: RunningImap) -> None:
    deliver_samples(imap)
    client = imaplib.IMAP4_SSL(imap.host, imap.ports["imaps"], ssl_context=imap.client_context())
    client.login(ADDRESS, PASSWORD)
    client.select("INBOX")
    header_end = GB18030.index(b"\r\n\r\n") + 4
    _typ, data = client.fetch("2", "(BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[]<10.20> RFC822.SIZE)")
    literals = [part[1] for part in data if isinstance(part, tuple)]
    assert literals == [GB18030, GB18030[:header_end], GB18030[header_end:], GB18030[10:30]]
    assert b"RFC822.SIZE %d" % len(GB18030) in data[-1]
    _typ, data = client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT message-id)])")
    assert data[0][1] == b"Subject: Quotation for order 42\r\nMessage-ID: <q42@partner.cn>\r\n\r\n"
    _typ, data = client.fetch("1", "(BODY.PEEK[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)])")
    assert data[0][1] == b"Subject: Quotation for order 42\r\n\r\n"
    _typ, data = client.fetch("1", "(RFC822.HEADER)")
    assert data[0][1] == PLAIN[: PLAIN.index(b"\r\n\r\n") + 4]
    client.logout()


def test_fetch_mime_parts_by_number(imap: RunningImap) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    talk.send("f1 FETCH 3 (BODY.PEEK[1.1] BODY.PEEK[1.2.MIME] BODY.PEEK[2])")
    # the CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1)
    assert talk.line() == b"* 3 FETCH (BODY[1.1] {10}"
    assert talk.read_exactly(10) == b"plain body"
    mime_header = b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    assert talk.line() == b" BODY[1.2.MIME] {%d}" % len(mime_header)
    assert talk.read_exactly(len(mime_header)) == mime_header
    assert talk.line() == b" BODY[2] {12}"
    assert talk.read_exactly(12) == b"JVBERi0xLjQK"
    assert talk.line() == b")"
    assert talk.until("f1")[1] == b"OK FETCH completed"


def test_bodystructure_of_multipart_and_gb18030_messages(imap: RunningImap) -> None:
    deliver_samples(imap)
    with IMAPClient(imap.host, imap.ports["imaps"], ssl_context=imap.client_context()) as client:
        client.login(ADDRESS, PASSWORD)
        client.select_folder("INBOX")
        answer = client.fetch([2, 3], ["BODYSTRUCTURE", "ENVELOPE"])
        gb = answer[2][b"BODYSTRUCTURE"]
        assert (gb[0], gb[1], gb[2]) == (b"text", b"plain", (b"charset", b"GB18030"))
        assert gb[5] == b"8bit" and gb[6] == len(GB18030) - GB18030.index(b"\r\n\r\n") - 4
        multi = answer[3][b"BODYSTRUCTURE"]
        assert multi.is_multipart
        alternative, pdf = multi[0]
        assert alternative[1] == b"alternative"
        assert [p[1] for p in alternative[0]] == [b"plain", b"html"]
        assert (pdf[0], pdf[1], pdf[2]) == (b"application", b"pdf", (b"name", b"po.pdf"))
        assert pdf[8] == (b"attachment", (b"filename", b"po.pdf"))
        envelope = answer[3][b"ENVELOPE"]
        assert envelope.subject == b"PO with attachment"
        assert envelope.from_[0].mailbox == b"buyer" and envelope.from_[0].host == b"client.com"


def test_body_fetch_sets_seen_but_peek_does_not(imap: RunningImap) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    talk.send("f1 FETCH 1 (BODY.PEEK[TEXT])")
    talk.until("f1")
    assert talk.command("FETCH 1 (FLAGS)")[0] == [b"* 1 FETCH (FLAGS ())"]
    talk.send("f2 FETCH 1 (BODY[TEXT])")
    untagged, _done = talk.until("f2")
    assert untagged[-1].endswith(b" FLAGS (\\Seen))")
    assert talk.command("FETCH 1 (FLAGS)")[0] == [b"* 1 FETCH (FLAGS (\\Seen))"]


def test_search_by_flags_dates_sizes_headers_and_text(imap: RunningImap) -> None:
    deliver_samples(imap)
    with IMAPClient(imap.host, imap.ports["imaps"], ssl_context=imap.client_context()) as client:
        client.login(ADDRESS, PASSWORD)
        client.select_folder("INBOX")
        client.add_flags([1], [b"\\Flagged", b"urgent"])
        assert client.search(["FLAGGED"]) == [1]
        assert client.search(["UNFLAGGED"]) == [2, 3]
        assert client.search(["KEYWORD", "urgent"]) == [1]
        assert client.search(["SUBJECT", "quotation"]) == [1]
        assert client.search(["SUBJECT", "报价单"], charset="UTF-8") == [2]
        assert client.search(["BODY", "第二季度"], charset="UTF-8") == [2]
        assert client.search(["FROM", "李四"], charset="UTF-8") == [1]
        assert client.search(["TEXT", "html body"]) == [3]
        assert client.search(["HEADER", "Message-ID", "q42@"]) == [1]
        assert client.search(["SENTSINCE", "03-Jan-2024"]) == [2]
        assert client.search(["SENTBEFORE", "03-Jan-2024"]) == [1]
        assert client.search(["LARGER", str(len(MULTIPART) - 1)]) == [3]
        assert client.search(["OR", "FLAGGED", "SUBJECT", "PO"]) == [1, 3]
        assert client.search(["NOT", "FLAGGED", "NOT", "SUBJECT", "PO"]) == [2]
        assert client.search(["UID", "2:*"]) == [2, 3]
        assert client.search(["2:3", "UNSEEN"]) == [2, 3]


def test_search_with_parentheses_and_unknown_charset(imap: RunningImap) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    assert talk.command("UID SEARCH (OR SEEN 1) ALL")[0] == [b"* SEARCH 1"]
    assert talk.command("SEARCH CHARSET KOI8-R ALL")[1].startswith(b"NO [BADCHARSET")


def test_store_flags_add_remove_replace_and_silent(imap: RunningImap) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    assert talk.command("STORE 1:2 +FLAGS (\\Seen $Label1)")[0] == [
        b"* 1 FETCH (FLAGS (\\Seen $Label1))",
        b"* 2 FETCH (FLAGS (\\Seen $Label1))",
    ]
    assert talk.command("UID STORE 2 -FLAGS (\\seen)")[0] == [b"* 2 FETCH (UID 2 FLAGS ($Label1))"]
    assert talk.command("STORE 3 FLAGS.SILENT (\\Answered)") == ([], b"OK STORE completed")
    assert talk.command("FETCH 3 FLAGS")[0] == [b"* 3 FETCH (FLAGS (\\Answered))"]
    talk.command("EXAMINE INBOX")
    assert talk.command("STORE 1 +FLAGS (\\Deleted)")[1].startswith(b"NO [READ-ONLY]")


def test_copy_and_move_answer_copyuid_and_move_expunges(imap: RunningImap) -> None:
    deliver_samples(imap)
    trash = imap.sandbox.mail.mailbox(ADDRESS, "Trash")
    talk = selected_transcript(imap)
    untagged, done = talk.command("COPY 1:2 Trash")
    assert done == b"OK [COPYUID %d 1:2 1:2] COPY completed" % trash.uidvalidity
    untagged, done = talk.command("UID MOVE 3 Trash")
    assert untagged == [b"* OK [COPYUID %d 3 3] moved" % trash.uidvalidity, b"* 3 EXPUNGE"]
    assert done == b"OK MOVE completed"
    assert talk.command("COPY 1 Nowhere")[1].startswith(b"NO [TRYCREATE]")
    assert imap.sandbox.mail.status(trash.id).messages == 3


def test_uid_expunge_removes_only_the_named_deleted_messages(imap: RunningImap) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    talk.command("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    assert talk.command("UID EXPUNGE 2:3") == ([b"* 3 EXPUNGE", b"* 2 EXPUNGE"], b"OK EXPUNGE completed")
    assert talk.command("UID SEARCH ALL")[0] == [b"* SEARCH 1"]
    assert talk.command("EXPUNGE")[0] == [b"* 1 EXPUNGE"]


def test_fetch_of_a_missing_part_and_bad_items(imap: RunningImap) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    assert talk.command("FETCH 1 (BODY.PEEK[7])")[0] == [b"* 1 FETCH (BODY[7] NIL)"]
    assert talk.command("FETCH 1 (BODY.PEEK[HEADER.FIELDS ()])")[1].startswith(b"BAD ")
    assert talk.command("FETCH 1 (NONSENSE)")[1].startswith(b"BAD ")
    assert talk.command("FETCH 0 FLAGS")[1].startswith(b"BAD ")
    assert talk.command("FETCH 9 FLAGS") == ([], b"OK FETCH completed")


@pytest.mark.parametrize("macro", ["ALL", "FAST", "FULL"])
def test_fetch_macros(imap: RunningImap, macro: str) -> None:
    deliver_samples(imap)
    talk = selected_transcript(imap)
    untagged, done = talk.command(f"FETCH 1 {macro}")
    assert done == b"OK FETCH completed"
    assert b"FLAGS ()" in untagged[0] and b"RFC822.SIZE %d" % len(PLAIN) in untagged[0]
    assert (b"ENVELOPE (" in untagged[0]) == (macro != "FAST")
