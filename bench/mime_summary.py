"""How fast ``mailhub.sync.summarize`` reads list-view summaries, against the stdlib modern policy, in one run.

    python bench/mime_summary.py [--messages 5000] [--repeat 3]

Generates realistic messages in memory (plain, HTML with an Outlook-sized style block, GB18030 and Big5
subjects and bodies, RFC 2047 and raw 8-bit headers, PDF/DOCX attachments with RFC 2231 or encoded-word
names), then times, best of ``--repeat`` runs:

- summarize: ``summarize(raw)`` — our header splitter and decoding, body read from its first 64 KB;
- modern policy (baseline): ``email.message_from_bytes(raw, policy=email.policy.default)``, then subject,
  from, date and a 200-character snippet from ``get_body``;
- compat32 headers only: ``BytesHeaderParser`` (no decoding, no body), the floor the reference names.

Prints a Markdown table (approach, messages, seconds, µs/message, ratio to the baseline). Target: ≥ 5×.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import random
import time
from collections.abc import Callable
from email.header import Header
from email.parser import BytesHeaderParser

from mailhub.sync import summarize

TARGET = 5.0
SUBJECTS = [
    "关于本月报价单的确认",
    "Re: 订单 #{n} 发货通知",
    "会议纪要：朱镕基路项目（堃）",
    "Quotation for order {n}",
    "年度合同续签",
]
BIG5_SUBJECTS = ["報價單確認 {n}", "會議通知：產品規格"]
NAMES = ["张三", "李四", "王五", "Alice Chen", "陈堃", "销售部"]
TEXT = "您好，附件是本月的报价单，请查收。如有问题请随时联系。Please find the quotation attached. "
STYLE = "<style>" + "p.MsoNormal, li.MsoNormal {margin:0cm; font-size:10.5pt; font-family:等线;}\n" * 120 + "</style>"


def _b(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode('gb18030' if charset == 'gb2312' else charset)).decode()}?="


def _wrap64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def make_message(n: int, rng: random.Random) -> bytes:
    """One message; the mix roughly follows a Chinese business inbox."""
    kind = n % 6
    name = rng.choice(NAMES)
    if kind == 5:
        subject = _b(rng.choice(BIG5_SUBJECTS).format(n=n), "big5")
    elif kind == 4:
        subject = rng.choice(SUBJECTS).format(n=n).encode("gb18030").decode("latin-1")  # raw 8-bit (old clients)
    elif kind % 2:
        subject = _b(rng.choice(SUBJECTS).format(n=n), "gb2312")
    else:
        subject = Header(rng.choice(SUBJECTS).format(n=n), "utf-8").encode()
    head = (
        f"Received: from mx1.qiye.aliyun.com by mail.bench.cn; Tue, 24 Nov 2026 10:{n % 60:02d}:00 +0800\r\n"
        f"Message-ID: <{n}.{rng.randrange(10**9)}@bench.cn>\r\n"
        f"Date: Tue, 24 Nov 2026 10:{n % 60:02d}:00 +0800\r\n"
        f'From: "{_b(name, "utf-8")}" <user{n % 97}@bench.cn>\r\n'
        f"To: {_b('李四', 'gb2312')} <ls@bench.cn>, bob@example.com\r\n"
        f"Subject: {subject}\r\n"
        f"In-Reply-To: <{n - 1}@bench.cn>\r\nReferences: <{n - 2}@bench.cn> <{n - 1}@bench.cn>\r\n"
        "MIME-Version: 1.0\r\nX-Mailer: Foxmail 7.2.25.228[cn]\r\n"
    ).encode("latin-1")
    charset = "big5" if kind == 5 else rng.choice(["gb18030", "gb2312", "utf-8"])
    text = (TEXT * rng.randint(2, 20)).encode("gb18030" if charset.startswith("gb") else "utf-8")
    if kind == 5:
        text = ("您好，附件是報價單，請查收。" * 10).encode("big5")
    plain = (
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
        + _wrap64(text)
    )
    html_text = f"<html><head>{STYLE}</head><body><p>{TEXT * 3}</p></body></html>".encode()
    html = b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + _wrap64(html_text)
    if kind == 0:
        return head + plain + b"\r\n"
    if kind == 1:
        return head + html + b"\r\n"
    alternative = b"--alt\r\n" + plain + b"\r\n--alt\r\n" + html + b"\r\n--alt--\r\n"
    body = b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n' + alternative
    if kind == 2:
        return head + body
    size = rng.choice([4_000, 12_000, 40_000])
    filename = (
        "filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
        if kind == 3
        else f'filename="{_b("合同" + str(n) + ".docx", "gb2312")}"'
    )
    attachment = (
        f"Content-Type: application/pdf\r\nContent-Disposition: attachment; {filename}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + _wrap64(rng.randbytes(size))
    mixed = b"--mix\r\n" + body + b"\r\n--mix\r\n" + attachment + b"\r\n--mix--\r\n"
    return head + b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n' + mixed


def modern_policy(raw: bytes) -> object:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    subject, sender, date = str(msg["subject"]), msg["from"], msg["date"]
    when = date.datetime if date is not None else None
    part = msg.get_body(("plain", "html"))  # type: ignore[attr-defined]
    snippet = part.get_content()[:200] if part is not None else ""
    return subject, sender, when, snippet


def headers_only(raw: bytes) -> object:
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def best_time(read: Callable[[bytes], object], messages: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for raw in messages:
            read(raw)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261124)
    messages = [make_message(n, rng) for n in range(args.messages)]
    total_mb = sum(map(len, messages)) / 1e6
    print(f"{len(messages)} messages, {total_mb:.1f} MB\n")
    rows = [
        ("summarize (mailhub)", best_time(summarize, messages, args.repeat)),
        ("modern policy + get_body (baseline)", best_time(modern_policy, messages, args.repeat)),
        ("compat32 headers only (floor, no decoding)", best_time(headers_only, messages, args.repeat)),
    ]
    baseline = rows[1][1]
    print("| approach | messages | seconds | µs/message | ratio to baseline |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds in rows:
        per = seconds / len(messages) * 1e6
        print(f"| {label} | {len(messages)} | {seconds:.3f} | {per:.0f} | {baseline / seconds:.1f}× |")
    speedup = baseline / rows[0][1]
    verdict = "met" if speedup >= TARGET else "MISSED"
    print(f"\nsummarize is {speedup:.1f}× the baseline (target ≥ {TARGET:.0f}×): {verdict}")


if __name__ == "__main__":
    main()
