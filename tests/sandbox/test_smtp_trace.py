"""Trace headers: what a recipient's mail client shows about the hop through the sandbox."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import default

from mailhub.sandbox.smtp.trace import received_header, return_path_header


def parse(header_block: bytes):
    return BytesParser(policy=default).parsebytes(header_block + b"\r\nbody\r\n")


def test_received_names_helo_ip_host_protocol_and_single_recipient() -> None:
    header = received_header(
        helo="laptop.local", peer_ip="127.0.0.1", by_host="smtp.aliyun-inc.com", recipients=["a@b.cn"], smtputf8=False
    )
    received = parse(header)["Received"]
    assert received.startswith("from laptop.local ([127.0.0.1])")
    assert "by smtp.aliyun-inc.com" in received and "with ESMTPSA" in received
    assert "for <a@b.cn>" in received


def test_received_hides_recipients_of_a_multi_recipient_message() -> None:
    header = received_header(
        helo="x", peer_ip="127.0.0.1", by_host="h", recipients=["a@b.cn", "bcc@c.cn"], smtputf8=True
    )
    text = header.decode()
    assert "bcc@c.cn" not in text and "with UTF8SMTPSA" in text


def test_a_hostile_helo_cannot_inject_headers() -> None:
    header = received_header(
        helo="evil\r\nBcc: victim@x.cn", peer_ip="127.0.0.1", by_host="h", recipients=["a@b.cn"], smtputf8=False
    )
    parsed = parse(header)
    assert parsed["Bcc"] is None
    # every physical line is the header's own first line or a folded continuation
    assert all(line.startswith((b"Received:", b"\t")) for line in header.split(b"\r\n")[:-1])


def test_return_path_wraps_the_envelope_sender() -> None:
    assert return_path_header("sales@trade-demo.cn") == b"Return-Path: <sales@trade-demo.cn>\r\n"
