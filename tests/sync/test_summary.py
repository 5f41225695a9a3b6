"""List-view summaries of whole messages: the corpus, big and cut-off bodies, attachments, dates, fuzz."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from datetime import UTC, datetime, timedelta, timezone
from email import headerregistry
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailhub.sync import Address, summarize

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
CST = timezone(timedelta(hours=8))
DATED = b"From: a@b.cn\r\nDate: Tue, 24 Nov 2026 18:55:16 +0800\r\n"


@pytest.mark.parametrize("case", MANIFEST, ids=[case["file"] for case in MANIFEST])
def test_corpus_message_yields_expected_subject_and_sender(case: dict[str, object]) -> None:
    summary = summarize((CORPUS / str(case["file"])).read_bytes())
    assert summary.subject == case["subject"]
    sender = summary.from_ or Address("", "")
    assert (sender.name, sender.email) == (case["from_name"], case["from_email"])
    if "attachments" in case:
        assert summary.attachment_names == case["attachments"]
        assert summary.has_attachments
    if "snippet" in case:
        assert summary.snippet == case["snippet"]


def test_corpus_problems_name_what_was_wrong() -> None:
    raw = (CORPUS / "foxmail_raw_gbk.eml").read_bytes()
    assert summarize(raw).problems == [
        "undecodable subject bytes, used gb18030",
        "undecodable from bytes, used gb18030",
    ]
    broken = summarize((CORPUS / "no_from_bad_date.eml").read_bytes())
    assert broken.from_ is None and broken.date is None
    assert broken.problems == ["1 malformed header line(s) skipped", "unreadable date 'someday soon'", "no From header"]


def big_message() -> tuple[bytes, bytes]:
    """A 5 MB message: a GBK text part, a 5 MB zip, then a small note after it (beyond the first 64 KB)."""
    head = (
        b"From: =?gbk?B?" + base64.b64encode("王五".encode("gbk")) + b"?= <ww@corp.cn>\r\n"
        b"Subject: =?gbk?B?" + base64.b64encode("大附件".encode("gbk")) + b"?=\r\n"
        b"Date: Tue, 24 Nov 2026 18:55:16 +0800\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="==big=="\r\n\r\n'
    )
    zipped = base64.encodebytes(bytes(range(256)) * 15_000)  # ~5.2 MB of base64 lines
    body = (
        b"--==big==\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes("附件很大，请下载。".encode("gbk"))
        + b"\r\n--==big==\r\nContent-Type: application/zip; name=big.zip\r\n"
        b"Content-Disposition: attachment; filename=big.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + zipped
        + b"\r\n--==big==\r\nContent-Type: text/plain; name=late.txt\r\n\r\nafter the zip\r\n--==big==--\r\n"
    )
    assert len(head + body) > 5_000_000
    return head, body


def test_five_megabyte_message_is_summarized_from_its_first_64_kb() -> None:
    head, body = big_message()
    summary = summarize(head, body[: 64 * 1024], size=len(head + body))
    assert summary.subject == "大附件"
    assert summary.from_ == Address("王五", "ww@corp.cn")
    assert summary.snippet == "附件很大，请下载。"
    assert summary.has_attachments and summary.attachment_names == ["big.zip"]
    assert summary.size == len(head + body)
    assert summary.problems == []
    # Given the whole message, only its first 64 KB are read: the part after the zip is never seen.
    assert summarize(head + body) == summarize(head, body[: 64 * 1024])


def test_html_only_body_skips_style_and_script() -> None:
    style = "<style>p.MsoNormal {margin:0cm}\n" * 500 + "</style>"
    html = (
        f"<html><head><title>t</title>{style}</head><body><script>var x=1;</script>"
        "<p>您好&nbsp;&amp;\n\n  欢迎</p><br>再见</body></html>"
    )
    raw = (
        b"From: a@b.cn\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(html.encode())
    )
    assert summarize(raw).snippet == "您好 & 欢迎 再见"  # &nbsp; collapses like any other space


def test_snippet_is_200_chars_whitespace_collapsed_plain_preferred_over_html() -> None:
    text = ("报价  单\r\n\t" * 100).encode("gb18030")
    raw = (
        b"From: a@b.cn\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/html\r\n\r\n<p>html version</p>\r\n--b\r\n"
        b"Content-Type: text/plain; charset=gb18030\r\n\r\n" + text + b"\r\n--b--\r\n"
    )
    snippet = summarize(raw).snippet
    assert len(snippet) == 200 and snippet.startswith("报价 单 报价 单") and "  " not in snippet


def test_cut_off_base64_and_quoted_printable_bodies_decode_without_problems() -> None:
    text = "附件很大，请下载。" * 30
    b64 = base64.encodebytes(text.encode("gbk"))
    head = DATED + b"Content-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    for cut in (61, 62, 63, 100):  # mid line, mid quantum, mid character
        summary = summarize(head + b64[:cut])
        assert text.startswith(summary.snippet) and summary.snippet and summary.problems == []
    qp = b"=E4=BD=A0=E5=A5=BD=\r\n=E4=B8=96=E7=95=8C"  # 你好 + soft line break + 世界 in UTF-8
    head = b"From: a@b.cn\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
    assert summarize(head + b"\r\n\r\n" + qp).snippet == "你好世界"


def test_utf8_labelled_body_in_gbk_is_read_and_noted() -> None:
    raw = DATED + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "你好".encode("gbk")
    summary = summarize(raw)
    assert summary.snippet == "你好"
    assert summary.problems == ["body text bytes are not utf-8, used gb18030"]


def test_attachment_rules() -> None:
    inner = b"Subject: =?utf-8?B?" + base64.b64encode("原始邮件".encode()) + b"?=\r\nFrom: x@y.cn\r\n\r\nhi\r\n"
    raw = (
        b'From: a@b.cn\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\npreamble\r\n--m\r\n'
        b'Content-Type: multipart/related; boundary="r"\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n'
        b'<img src="cid:logo">\xe6\xad\xa3\xe6\x96\x87\r\n--r\r\nContent-Type: image/png; name=logo.png\r\n'
        b"Content-ID: <logo>\r\n\r\nPNG\r\n--r--\r\n"
        b"--m\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n"
        b"not the body\r\n--m\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--m\r\n"
        b"Content-Type: application/octet-stream\r\n\r\nunnamed\r\n--m--\r\nepilogue\r\n"
    )
    summary = summarize(raw)
    assert summary.attachment_names == ["notes.txt", "原始邮件.eml"]  # the embedded logo is not an attachment
    assert summary.has_attachments
    assert summary.snippet == "正文"


def test_single_part_attachment_and_boundary_prefix_of_another() -> None:
    pdf = b'From: a@b.cn\r\nContent-Type: application/pdf; name="scan.pdf"\r\n\r\n%PDF'
    assert summarize(pdf).attachment_names == ["scan.pdf"]
    nested = (
        b"From: a@b.cn\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\n"
        b"Content-Type: multipart/alternative; boundary=p_2\r\n\r\n--p_2\r\nContent-Type: text/plain\r\n\r\n"
        b"inner\r\n--p_2--\r\n--p\r\nContent-Type: application/zip; name=z.zip\r\n\r\nZ\r\n--p--\r\n"
    )
    summary = summarize(nested)
    assert (summary.snippet, summary.attachment_names) == ("inner", ["z.zip"])


def test_headers_only_fetch_uses_content_type_and_outlook_hints() -> None:
    header = b"From: a@b.cn\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"  # as BODY[HEADER] returns it
    assert summarize(header).has_attachments is True
    assert summarize(header, b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n").has_attachments is False
    assert summarize(b"From: a@b.cn\r\nX-MS-Has-Attach: yes\r\n").has_attachments is True
    assert summarize(b"From: a@b.cn\r\nContent-Type: text/plain\r\n").has_attachments is False


@pytest.mark.parametrize(
    ("value", "expected", "problem"),
    [
        (b"Tue, 24 Nov 2026 18:55:16 +0800 (CST)", datetime(2026, 11, 24, 18, 55, 16, tzinfo=CST), None),
        (b"24 Nov 26 10:55:16 GMT", datetime(2026, 11, 24, 10, 55, 16, tzinfo=UTC), None),
        (b"Tue, 24 Nov 2026 18:55:16 -0000", datetime(2026, 11, 24, 18, 55, 16, tzinfo=UTC), None),
        (b"Tue, 24 Nov 2026 18:55:16", datetime(2026, 11, 24, 18, 55, 16, tzinfo=UTC), "date has no time zone"),
        ("2026年11月24日 18:55 +0800".encode(), datetime(2026, 11, 24, 18, 55, tzinfo=CST), None),
        (b"2026-11-24T18:55:16+08:00", datetime(2026, 11, 24, 18, 55, 16, tzinfo=CST), None),
    ],
)
def test_dates(value: bytes, expected: datetime, problem: str | None) -> None:
    summary = summarize(b"From: a@b.cn\r\nDate: " + value + b"\r\n")
    assert summary.date == expected and summary.date is not None and summary.date.tzinfo is not None
    assert [p for p in summary.problems if p.startswith("date")] == ([problem + ", assumed UTC"] if problem else [])


def test_broken_date_falls_back_to_received() -> None:
    raw = b"Received: from mx by hub; Wed, 25 Nov 2026 08:00:00 +0800\r\nDate: 32 Foo 2026 99:99\r\nFrom: a@b.cn\r\n"
    summary = summarize(raw)
    assert summary.date == datetime(2026, 11, 25, 8, 0, tzinfo=CST)
    assert summary.problems == ["unreadable date '32 Foo 2026 99:99'", "date taken from Received"]
    assert summarize(b"From: a@b.cn\r\n").date is None


def test_thread_headers_and_lf_only_message() -> None:
    raw = (
        b"Message-ID: <m3@corp.cn>\nIn-Reply-To: <m2@corp.cn> (Zhang's message of Monday)\n"
        b"References: <m1@corp.cn>\n <m2@corp.cn>\nSubject: Re:\n  folded\nFrom: a@b.cn\nTo: c@d.cn\n\nbody\n"
    )
    summary = summarize(raw)
    assert summary.message_id == "<m3@corp.cn>"
    assert summary.in_reply_to == "<m2@corp.cn>"
    assert summary.references == ["<m1@corp.cn>", "<m2@corp.cn>"]
    assert (summary.subject, summary.snippet, summary.to) == ("Re: folded", "body", [Address("", "c@d.cn")])
    assert summarize(b"Message-ID: bare-id@corp.cn\r\n").message_id == "<bare-id@corp.cn>"


NAMES = st.text(st.sampled_from("张三李四王五陈堃镕報價 abcXYZ.-'"), min_size=1, max_size=12)
SUBJECTS = st.text(st.sampled_from("关于本月报价单的确认朱镕基路堃報價單確認 Re:abcXYZ123!?=_-()[]"), max_size=60)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(SUBJECTS, NAMES, st.sampled_from(["utf-8", "gb18030", "big5"]))
def test_agrees_with_the_stdlib_modern_policy_on_well_formed_mail(subject: str, name: str, charset: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = headerregistry.Address(display_name=name, addr_spec="sender@corp.cn")
    message["Date"] = "Tue, 24 Nov 2026 18:55:16 +0800"
    try:
        message.set_content("正文 body", charset=charset)
    except UnicodeEncodeError:
        message.set_content("正文 body", charset="utf-8")
    raw = message.as_bytes()
    reference = email.message_from_bytes(raw, policy=email.policy.default)
    summary = summarize(raw)
    assert summary.subject == " ".join(str(reference["subject"]).split())
    sender = reference["from"].addresses[0]
    # display names lose surrounding quotes and runs of whitespace, as a list view shows them
    assert summary.from_ == Address(" ".join(sender.display_name.split()).strip("'\" "), sender.addr_spec)
    assert summary.date == reference["date"].datetime
    assert summary.snippet == "正文 body"
    assert summary.problems == []


@given(st.binary(max_size=400), st.none() | st.binary(max_size=400))
def test_random_bytes_never_raise(head: bytes, body: bytes | None) -> None:
    summary = summarize(head, body)
    assert isinstance(summary.problems, list) and len(summary.problems) <= 20
    assert not [p for p in summary.problems if "could not" in p]  # notes from a caught internal error


FRAGMENTS = [
    b"\r\n", b"\n", b"\r\n ", b"\r\n\r\n", b"Subject: ", b"From: ", b"To: ", b"Date: ", b"Content-Type: ",
    b"multipart/mixed; boundary=x", b"multipart/alternative; boundary=\"x\"", b"text/html; charset=gb2312",
    b"text/plain; charset=big5", b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Disposition: attachment; filename*0*=GBK''%D6", b"; filename*1*=%D0", b"--x", b"--x--", b"=?gb2312?B?",
    b"=?utf-8?Q?", b"?=", b"1tA=", b"=E4=B8", b"\xd6\xd0", b"\xa4\xa4", b"<a@b.cn>", b'"', b",", b"<p>", b"<style>",
    b"message/rfc822", b"Received: x; ", b"Tue, 24 Nov 2026 18:55:16 +0800", b"=", b"?",
]  # fmt: skip


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=8), max_size=60))
def test_mime_shaped_garbage_never_raises(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    for summary in (summarize(raw), summarize(raw, raw), summarize(raw, bodystructure=raw)):
        assert isinstance(summary.subject, str) and len(summary.snippet) <= 200
        assert not [p for p in summary.problems if "could not" in p]


@pytest.mark.timeout(20)  # an upper bound against a hang, not a speed check: html.parser took 52 s here
@pytest.mark.parametrize("markup", [b"<a " * 30000, b"<p x='" * 20000, b"<![" * 30000, b"<!--" * 30000])
def test_hostile_html_is_read_in_linear_time(markup: bytes) -> None:
    summary = summarize(DATED + b"Content-Type: text/html\r\n\r\n" + markup)
    assert summary.problems == [] and len(summary.snippet) <= 200


def test_inputs_of_other_types_and_oversized_headers() -> None:
    assert summarize(bytearray(b"Subject: x\r\n")).subject == "x"
    assert summarize("Subject: 中文\r\n").subject == "中文"  # type: ignore[arg-type]
    crowd = b"To: " + b"a@b.cn, " * 10_000 + b"\r\n"
    summary = summarize(DATED + crowd)
    assert 3_000 < len(summary.to) < 5_000
    assert "to header longer than 32 KB, the rest not read" in summary.problems
