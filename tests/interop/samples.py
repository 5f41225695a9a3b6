"""Mail as Chinese business users receive it, and how a client shows its subject."""

from __future__ import annotations

import base64
import datetime as dt
import email
from email.header import Header, decode_header, make_header
from email.utils import format_datetime, make_msgid

# (subject, charset of the encoded words): what a user expects to read in the message list.
SUBJECTS = [
    ("季度报表 Q3 请查收", "utf-8"),
    ("关于订单 #2024-118 的发票", "gb18030"),
    ("Shipment notice 出货通知", "utf-8"),
    ("Plain ASCII subject", "us-ascii"),
]


def sample_message(
    subject: str, charset: str = "utf-8", n: int = 0, *, to: str = "zhang.wei@example.cn", sender: str = ""
) -> bytes:
    """A small text message whose Subject is RFC 2047-encoded in ``charset`` (unless it is ASCII); from
    ``sender`` if given, else from a supplier with a Chinese display name."""
    encoded = subject if charset == "us-ascii" else Header(subject, charset).encode(linesep="\r\n")
    body_charset = "utf-8" if charset == "us-ascii" else charset
    body = f"您好，\r\n\r\n这是第 {n} 封测试邮件：{subject}\r\n\r\n-- \r\n王芳\r\n".encode(body_charset)
    sender = sender or f"{Header('王芳', 'utf-8').encode()} <wang.fang@supplier.example>"
    head = (
        f"From: {sender}\r\n"
        f"To: {to}\r\n"
        f"Subject: {encoded}\r\n"
        f"Date: {format_datetime(dt.datetime(2024, 11, 1, 9, n % 60, tzinfo=dt.UTC))}\r\n"
        f"Message-ID: {make_msgid(f'interop{n}', 'supplier.example')}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{body_charset}"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
    )
    return head.encode("ascii") + b"\r\n" + body


def sample_mailbox() -> list[bytes]:
    """One message per entry of ``SUBJECTS``, in order."""
    return [sample_message(subject, charset, n) for n, (subject, charset) in enumerate(SUBJECTS)]


def subject_of(raw: bytes) -> str:
    """The Subject as a mail client displays it (encoded words decoded)."""
    value = email.message_from_bytes(raw)["Subject"]
    return str(make_header(decode_header(value))) if value else ""


def imap_utf7(name: str) -> str:
    """RFC 3501 modified UTF-7, how IMAP spells folder names like 客户: runs of non-ASCII become
    ``&`` + base64 of UTF-16BE (``,`` for ``/``, no padding) + ``-``; ``&`` itself becomes ``&-``."""
    out, run = [], ""
    for char in name + "\0":  # a sentinel flushes the last run
        if " " <= char <= "~" or char == "\0":
            if run:
                encoded = base64.b64encode(run.encode("utf-16-be")).decode("ascii").rstrip("=")
                out.append("&" + encoded.replace("/", ",") + "-")
                run = ""
            if char != "\0":
                out.append("&-" if char == "&" else char)
        else:
            run += char
    return "".join(out)
