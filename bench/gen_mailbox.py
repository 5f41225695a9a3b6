"""A deterministic benchmark mailbox: 20,000 messages (~125 MB) of the kinds a Chinese trading company gets.

Plain UTF-8 and GB18030 text, HTML newsletters (multipart/alternative), RFC 2047-encoded Chinese subjects
and display names, and PDF-like attachments. The same ``--count`` always gives the same bytes, so timings
from different runs and different servers compare the same work. Cached under ``bench/data/``
(git-ignored) as one file of length-prefixed messages: ``<decimal length>\\n<message bytes>``.

    python bench/gen_mailbox.py            # 20,000 messages
    python bench/gen_mailbox.py --count 500
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import random
import textwrap
import time
from collections.abc import Iterator
from email.header import Header
from email.utils import format_datetime
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_COUNT = 20_000
FORMAT_VERSION = 1
SEED = 20_261_124

ZH_WORDS = [
    "报价",
    "订单",
    "发票",
    "会议",
    "合同",
    "物流",
    "样品",
    "付款",
    "确认",
    "季度",
    "报表",
    "客户",
    "采购",
    "出货",
    "海关",
    "附件",
    "请查收",
    "谢谢",
    "您好",
    "阿里巴巴",
    "国际站",
    "询盘",
    "交期",
    "装箱单",
    "提单",
    "信用证",
    "汇款",
    "折扣",
    "运费",
    "质检",
    "包装",
    "仓库",
    "到港",
    "清关",
    "佣金",
    "新品",
    "展会",
]
EN_WORDS = [
    "quotation",
    "order",
    "invoice",
    "meeting",
    "contract",
    "shipment",
    "sample",
    "payment",
    "confirm",
    "quarterly",
    "report",
    "customer",
    "purchase",
    "delivery",
    "customs",
    "attachment",
    "please",
    "find",
    "regards",
    "hello",
    "container",
    "packing",
    "freight",
    "discount",
]
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "Alice Smith", "Bob Chen")
DOMAINS = ("example.cn", "trade.example.com", "factory.example.net", "qiye.example.org")
KINDS = ("plain", "html", "gb18030", "attachment")
KIND_WEIGHTS = (40, 30, 17, 13)


def cache_path(count: int) -> Path:
    return DATA_DIR / f"mailbox-v{FORMAT_VERSION}-{count}.msgs"


def ensure_mailbox(count: int = DEFAULT_COUNT, *, force: bool = False) -> Path:
    """The cached mailbox file for ``count`` messages, generated first if missing."""
    path = cache_path(count)
    manifest = path.with_suffix(".json")
    if path.exists() and manifest.exists() and not force:
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    digest, total = hashlib.sha256(), 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for raw in generate(count):
            record = b"%d\n" % len(raw) + raw
            out.write(record)
            digest.update(record)
            total += len(raw)
    tmp.replace(path)
    manifest.write_text(json.dumps({"count": count, "bytes": total, "sha256": digest.hexdigest()}, indent=1))
    return path


def read_messages(path: Path) -> Iterator[bytes]:
    """Every message in a cached mailbox file, in order."""
    with path.open("rb") as handle:
        while header := handle.readline():
            yield handle.read(int(header))


def manifest(count: int = DEFAULT_COUNT) -> dict[str, int | str]:
    """``{"count", "bytes", "sha256"}`` of a generated mailbox."""
    return json.loads(cache_path(count).with_suffix(".json").read_text())


def generate(count: int) -> Iterator[bytes]:
    """``count`` messages; message ``n`` depends only on ``n`` (and the seed), not on ``count``."""
    for n in range(count):
        yield build_message(n)


def build_message(n: int) -> bytes:
    rng = random.Random(SEED * 1_000_003 + n)
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    headers = _headers(rng, n, kind)
    if kind == "plain":
        body_headers, body = _text_part(_paragraphs(rng, rng.randint(2, 12)), "utf-8")
    elif kind == "gb18030":
        body_headers, body = _text_part(_paragraphs(rng, rng.randint(2, 12)), "gb18030")
    elif kind == "html":
        body_headers, body = _alternative(rng, n)
    else:
        body_headers, body = _with_attachment(rng, n)
    head = "".join(f"{name}: {value}\r\n" for name, value in [*headers, *body_headers])
    return head.encode("ascii") + b"\r\n" + body


def _headers(rng: random.Random, n: int, kind: str) -> list[tuple[str, str]]:
    sender = rng.choice(NAMES)
    charset = "gb18030" if kind == "gb18030" else "utf-8"
    subject = _subject(rng, n)
    date = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(minutes=37 * n)
    return [
        ("Return-Path", f"<sender{n % 97}@{rng.choice(DOMAINS)}>"),
        ("From", f"{_encoded(sender, charset)} <sender{n % 97}@{rng.choice(DOMAINS)}>"),
        ("To", f"{_encoded('采购部', charset)} <inbox@bench.test>"),
        ("Subject", _encoded(subject, charset)),
        ("Date", format_datetime(date)),
        ("Message-ID", f"<bench-{n:06d}.{rng.getrandbits(32):08x}@bench.test>"),
        ("MIME-Version", "1.0"),
    ]


def _subject(rng: random.Random, n: int) -> str:
    words = rng.sample(ZH_WORDS, rng.randint(2, 5))
    if rng.random() < 0.3:
        words.insert(1, rng.choice(EN_WORDS).title())
    return f"{''.join(words)} #{n}"


def _encoded(text: str, charset: str) -> str:
    """RFC 2047 for anything beyond ASCII (B-encoding, as Chinese mail clients send it)."""
    if text.isascii():
        return text
    return Header(text, charset).encode(maxlinelen=76, linesep="\r\n")


def _paragraphs(rng: random.Random, count: int) -> str:
    paragraphs = []
    for _ in range(count):
        words = [rng.choice(ZH_WORDS) if rng.random() < 0.7 else rng.choice(EN_WORDS) for _ in range(40)]
        paragraphs.append("".join(w if not w.isascii() else f" {w} " for w in words).strip() + "。")
    return "\n\n".join(paragraphs) + "\n\n-- \n" + rng.choice(NAMES) + "\n"


def _b64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\r\n"


def _text_part(text: str, charset: str) -> tuple[list[tuple[str, str]], bytes]:
    headers = [("Content-Type", f'text/plain; charset="{charset}"'), ("Content-Transfer-Encoding", "base64")]
    return headers, _b64_lines(text.replace("\n", "\r\n").encode(charset))


def _html(rng: random.Random, text: str) -> str:
    rows = "".join(
        f'<tr><td style="padding:4px;border:1px solid #ddd">{rng.choice(ZH_WORDS)}</td>'
        f'<td style="padding:4px;border:1px solid #ddd">{rng.randint(1, 9999)}.00 USD</td></tr>\n'
        for _ in range(rng.randint(3, 12))
    )
    paragraphs = "".join(f"<p style='font-family:Microsoft YaHei'>{p}</p>\n" for p in text.split("\n\n"))
    return f"<html><head><meta charset='utf-8'></head><body>\n{paragraphs}<table>\n{rows}</table></body></html>\n"


def _quoted_printable(text: str) -> bytes:
    import quopri

    return quopri.encodestring(text.replace("\n", "\r\n").encode("utf-8")).replace(b"\r\r\n", b"\r\n")


def _alternative(rng: random.Random, n: int) -> tuple[list[tuple[str, str]], bytes]:
    boundary = f"----=_alt_{n:06d}_{rng.getrandbits(48):012x}"
    text = _paragraphs(rng, rng.randint(2, 8))
    plain_headers, plain = _text_part(text, "utf-8")
    parts = [
        _part(plain_headers, plain),
        _part(
            [("Content-Type", 'text/html; charset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")],
            _quoted_printable(_html(rng, text)),
        ),
    ]
    return [("Content-Type", f'multipart/alternative; boundary="{boundary}"')], _multipart(boundary, parts)


def _with_attachment(rng: random.Random, n: int) -> tuple[list[tuple[str, str]], bytes]:
    boundary = f"----=_mix_{n:06d}_{rng.getrandbits(48):012x}"
    text_headers, text = _text_part(_paragraphs(rng, rng.randint(1, 4)), "utf-8")
    filename = f"{rng.choice(ZH_WORDS)}{n}.pdf"
    payload = b"%PDF-1.4\n" + rng.randbytes(rng.randint(3_000, 20_000)) + b"\n%%EOF\n"
    attachment_headers = [
        ("Content-Type", f'application/pdf; name="{_encoded(filename, "utf-8")}"'),
        ("Content-Transfer-Encoding", "base64"),
        ("Content-Disposition", f'attachment; filename="{_encoded(filename, "utf-8")}"'),
    ]
    parts = [_part(text_headers, text), _part(attachment_headers, _b64_lines(payload))]
    return [("Content-Type", f'multipart/mixed; boundary="{boundary}"')], _multipart(boundary, parts)


def _part(headers: list[tuple[str, str]], body: bytes) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers).encode("ascii") + b"\r\n" + body


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    marker = f"--{boundary}".encode("ascii")
    body = b"This is a multi-part message in MIME format.\r\n\r\n"
    for part in parts:
        body += marker + b"\r\n" + part + b"\r\n"
    return body + marker + b"--\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="how many messages (default 20000)")
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = parser.parse_args()
    started = time.perf_counter()
    path = ensure_mailbox(args.count, force=args.force)
    info = manifest(args.count)
    seconds = time.perf_counter() - started
    print(f"{path}: {info['count']} messages, {int(info['bytes']) / 1e6:.1f} MB, {seconds:.1f} s")


if __name__ == "__main__":
    main()
