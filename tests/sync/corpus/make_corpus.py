"""Writes the corpus: real-world-shaped messages (GBK, GB18030, Big5, broken) and manifest.json.

    python tests/sync/corpus/make_corpus.py

Each message is built byte by byte, as the named client sends it; the expected subject and sender in the
manifest are written here by hand, never computed by the code under test.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from urllib.parse import quote_from_bytes

HERE = Path(__file__).parent
DATE = b"Date: Tue, 24 Nov 2026 18:55:16 +0800\r\n"


def b64(text: str, codec: str) -> str:
    return base64.b64encode(text.encode(codec)).decode()


def q(data: bytes) -> str:
    return "".join(chr(b) if b < 128 and chr(b).isalnum() else f"={b:02X}" for b in data)


def message(headers: list[bytes], body: bytes = b"Hello.\r\n", ctype: bytes = b"text/plain; charset=utf-8") -> bytes:
    head = b"".join(h if h.endswith(b"\r\n") else h + b"\r\n" for h in headers)
    return head + DATE + b"MIME-Version: 1.0\r\nContent-Type: " + ctype + b"\r\n\r\n" + body


def cases() -> list[tuple[str, bytes, dict[str, object]]]:
    out: list[tuple[str, bytes, dict[str, object]]] = []

    def add(name: str, raw: bytes, subject: str, from_name: str, from_email: str, **more: object) -> None:
        out.append((name, raw, {"subject": subject, "from_name": from_name, "from_email": from_email, **more}))

    # Foxmail (old versions): raw GBK bytes in Subject and in the display name, GBK body.
    add(
        "foxmail_raw_gbk.eml",
        message(
            [b"Subject: " + "关于本月报价单的确认".encode("gbk"), b"From: " + "张三".encode("gbk") + b" <zs@corp.cn>"],
            "您好，请查收。".encode("gbk"),
            b"text/plain; charset=gbk",
        ),
        "关于本月报价单的确认",
        "张三",
        "zs@corp.cn",
        snippet="您好，请查收。",
    )
    # Outlook (China): gb2312 label on GBK-only characters (镕 and 堃 are not in GB2312).
    add(
        "outlook_gb2312_label_gbk_chars.eml",
        message(
            [
                f"Subject: =?gb2312?B?{b64('朱镕基路项目会议纪要', 'gbk')}?=".encode(),
                f'From: "=?gb2312?B?{b64("陈堃", "gbk")}?=" <chenkun@corp.cn>'.encode(),
            ]
        ),
        "朱镕基路项目会议纪要",
        "陈堃",
        "chenkun@corp.cn",
    )
    # A UTF-8 character cut between two B words, and a GBK character cut between two Q words.
    utf8 = "订单发货通知".encode()
    gbk = "年度合同续签".encode("gbk")
    first, second = base64.b64encode(utf8[:4]).decode(), base64.b64encode(utf8[4:]).decode()
    add(
        "split_multibyte_words.eml",
        message(
            [
                f"Subject: =?utf-8?B?{first}?=\r\n =?utf-8?B?{second}?=".encode(),
                f"From: =?GBK?Q?{q(gbk[:5])}?= =?GBK?Q?{q(gbk[5:])}?= <hr@corp.cn>".encode(),
            ]
        ),
        "订单发货通知",
        "年度合同续签",
        "hr@corp.cn",
    )
    # Taiwanese client: Big5 subject and quoted Big5 name, quoted-printable Big5 body.
    add(
        "taiwan_big5.eml",
        message(
            [
                f"Subject: =?big5?B?{b64('報價單確認：產品規格', 'big5')}?=".encode(),
                f'From: "=?Big5?B?{b64("林志明", "big5")}?=" <lin@example.com.tw>'.encode(),
                b"Content-Transfer-Encoding: quoted-printable",
            ],
            binascii.b2a_qp("您好，附件是報價單，請查收。".encode("big5")),
            b"text/plain; charset=big5",
        ),
        "報價單確認：產品規格",
        "林志明",
        "lin@example.com.tw",
        snippet="您好，附件是報價單，請查收。",
    )
    # Raw Big5 subject: the body's big5 charset is the only clue (GB18030 would read it as mojibake).
    add(
        "raw_big5_with_body_hint.eml",
        message(
            [b"Subject: " + "會議通知".encode("big5"), b"From: wang@example.com.tw"],
            "請準時出席。".encode("big5"),
            b'text/plain; charset="big5"',
        ),
        "會議通知",
        "",
        "wang@example.com.tw",
    )
    # UTF-8 declared, GBK bytes sent (a misconfigured web mailer).
    add(
        "utf8_label_gbk_bytes.eml",
        message([f"Subject: =?utf-8?B?{b64('发票已开具', 'gbk')}?=".encode(), b"From: <billing@corp.cn>"]),
        "发票已开具",
        "",
        "billing@corp.cn",
    )
    # A charset no codec knows: fall back to UTF-8.
    add(
        "unknown_charset.eml",
        message([f"Subject: =?x-mac-chinesesimp-x?B?{b64('未知字符集', 'utf-8')}?=".encode(), b"From: a@b.cn"]),
        "未知字符集",
        "",
        "a@b.cn",
    )
    add(
        "iso2022jp.eml",
        message(
            [
                f"Subject: =?ISO-2022-JP?B?{b64('会議のお知らせ', 'iso2022_jp')}?=".encode(),
                f"From: =?iso-2022-jp?B?{b64('山田太郎', 'iso2022_jp')}?= <yamada@example.jp>".encode(),
            ]
        ),
        "会議のお知らせ",
        "山田太郎",
        "yamada@example.jp",
    )
    # GB18030 four-byte sequences (an emoji and a CJK Extension B character).
    add(
        "gb18030_four_byte.eml",
        message([f"Subject: =?gb18030?B?{b64('新年快乐😀𠀀', 'gb18030')}?=".encode(), b"From: x@corp.cn"]),
        "新年快乐😀𠀀",
        "",
        "x@corp.cn",
    )
    add(
        "missing_brackets.eml",
        message([b"Subject: hi", "From: 张三 zs@corp.cn".encode()]),
        "hi",
        "张三",
        "zs@corp.cn",
    )
    add(
        "unquoted_last_first.eml",
        message([b"Subject: hi", b"From: Chen, Kun <kun@corp.cn>"]),
        "hi",
        "Chen, Kun",
        "kun@corp.cn",
    )
    # RFC 6532: raw UTF-8 headers are legal.
    add(
        "raw_utf8_headers.eml",
        message(["Subject: 直接的UTF-8主题".encode(), 'From: "李四" <ls@corp.cn>'.encode()]),
        "直接的UTF-8主题",
        "李四",
        "ls@corp.cn",
    )
    # Folded subject with a tab, lower-case q, underscores for spaces, text between words kept.
    add(
        "folded_q_words.eml",
        message(
            [b"Subject: Re: =?utf-8?q?Quarterly_report?=\r\n\t=?utf-8?q?_=E6=8A=A5=E5=91=8A?= (v2)", b"From: b@c.cn"]
        ),
        "Re: Quarterly report 报告 (v2)",
        "",
        "b@c.cn",
    )
    # Attachments named the ways Chinese clients do: RFC 2231 GBK, continuations, encoded word in quotes.
    name1 = quote_from_bytes("报价单.pdf".encode("gbk"))
    name2 = "合同草案.docx".encode()
    parts = (
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "正文在此。".encode() + b"\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=GBK''"
        + name1.encode()
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n"
        b" filename*0*=UTF-8''" + quote_from_bytes(name2[:7]).encode() + b";\r\n"
        b" filename*1*=" + quote_from_bytes(name2[7:]).encode() + b"\r\n\r\nx\r\n"
        b'--b1\r\nContent-Type: image/png; name="=?gb2312?B?' + b64("截图", "gbk").encode() + b'?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--b1--\r\n"
    )
    add(
        "attachments_named_chinese.eml",
        message([b"Subject: files", b"From: f@corp.cn"], parts, b'multipart/mixed; boundary="b1"'),
        "files",
        "",
        "f@corp.cn",
        attachments=["报价单.pdf", "合同草案.docx", "截图"],
        snippet="正文在此。",
    )
    # No From at all, garbage date, a header line without a colon.
    add(
        "no_from_bad_date.eml",
        b"Subject: orphan\r\nthis line is broken\r\nDate: someday soon\r\n\r\nbody\r\n",
        "orphan",
        "",
        "",
    )
    return out


def main() -> None:
    manifest = []
    for name, raw, expected in cases():
        (HERE / name).write_bytes(raw)
        manifest.append({"file": name, **expected})
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
