"""Header decoding as Chinese mail really arrives: mislabelled charsets, split characters, raw 8-bit bytes."""

from __future__ import annotations

import base64
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailhub.sync import Address, content_params, decode_header_value, parse_address_list


def b_word(text: str, label: str, codec: str | None = None) -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(codec or label)).decode()}?="


# --- RFC 2047 words --------------------------------------------------------------------------------------


def test_gb2312_label_on_gbk_only_characters_is_read_as_gbk() -> None:
    # 镕 and 堃 are outside GB2312; Outlook and Foxmail still label such subjects gb2312.
    problems: list[str] = []
    assert decode_header_value(b_word("朱镕基 陈堃", "gb2312", "gbk"), problems) == "朱镕基 陈堃"
    assert problems == []


def test_gb2312_punctuation_follows_windows_mapping() -> None:
    # A1AA is EM DASH in GBK/GB18030 (what Outlook and Foxmail produce); Python's strict gb2312 says HORIZONTAL BAR
    assert decode_header_value("=?gb2312?Q?=A1=AA=A1=A4?=") == "—·"


def test_whitespace_between_encoded_words_is_dropped_but_kept_next_to_plain_text() -> None:
    value = f"Re: {b_word('报价', 'utf-8')} {b_word('单', 'utf-8')}\r\n {b_word('确认', 'gbk')} (v2)"
    assert decode_header_value(value) == "Re: 报价单确认 (v2)"


def test_character_split_across_two_words_is_joined_before_decoding() -> None:
    data = "发货".encode()
    first, second = base64.b64encode(data[:2]).decode(), base64.b64encode(data[2:]).decode()
    assert decode_header_value(f"=?UTF-8?B?{first}?= =?utf-8?B?{second}?=") == "发货"
    gbk = "合同".encode("gbk")
    q = "".join(f"={b:02X}" for b in gbk)
    assert decode_header_value(f"=?gbk?Q?{q[:6]}?= =?gbk?Q?{q[6:]}?=") == "合同"


def test_base64_text_split_mid_quantum_across_words() -> None:
    encoded = base64.b64encode("订单发货通知".encode()).decode()  # 24 characters, cut at 5
    assert decode_header_value(f"=?utf-8?B?{encoded[:5]}?= =?utf-8?B?{encoded[5:]}?=") == "订单发货通知"


def test_q_words_underscores_lowercase_and_unpadded_b() -> None:
    assert decode_header_value("=?utf-8?q?Quarterly_report_=E6=8A=A5=E5=91=8A?=") == "Quarterly report 报告"
    unpadded = base64.b64encode("年度".encode()).decode().rstrip("=")
    assert decode_header_value(f"=?utf-8?b?{unpadded}?=") == "年度"


@pytest.mark.parametrize(
    ("text", "label", "codec"),
    [
        ("報價單確認", "big5", "big5"),
        ("歐元 €", "big5", "cp950"),  # the euro sign exists only in Microsoft's Big5 (cp950)
        ("会議のお知らせ", "ISO-2022-JP", "iso2022_jp"),
        ("新年快乐😀𠀀", "GB18030", "gb18030"),
        ("회의", "ks_c_5601-1987", "cp949"),
    ],
)
def test_other_east_asian_charsets(text: str, label: str, codec: str) -> None:
    problems: list[str] = []
    assert decode_header_value(b_word(text, label, codec), problems) == text
    assert problems == []


def test_utf8_label_on_gbk_bytes_falls_back_and_says_so() -> None:
    problems: list[str] = []
    assert decode_header_value(b_word("发票已开具", "utf-8", "gbk"), problems) == "发票已开具"
    assert problems == ["header encoded word bytes are not utf-8, used gb18030"]


def test_unknown_and_non_charset_labels_fall_back_never_raise() -> None:
    problems: list[str] = []
    assert decode_header_value(b_word("未知", "x-unknown", "utf-8"), problems) == "未知"
    assert decode_header_value(b_word("编码", "base64", "gbk"), problems) == "编码"  # a codec, not a charset
    assert decode_header_value("=??B?5Lit?=", problems) == "中"
    assert len(problems) == 3 and all("unknown charset" in p or "undecodable" in p for p in problems)


def test_raw_8bit_headers_try_utf8_then_gb18030_then_big5_then_latin1() -> None:
    problems: list[str] = []
    assert decode_header_value("直接的主题".encode(), problems) == "直接的主题"
    assert problems == []  # RFC 6532 allows UTF-8 headers
    assert decode_header_value("关于报价".encode("gbk"), problems) == "关于报价"
    assert problems == ["undecodable header bytes, used gb18030"]
    assert decode_header_value("會議".encode("big5"), hint="big5") == "會議"  # the body's charset breaks the tie
    assert decode_header_value(b"caf\xe9 \xff") == "café ÿ"


def test_latin1_label_keeps_western_text_and_catches_utf8() -> None:
    problems: list[str] = []
    assert decode_header_value("=?iso-8859-1?Q?r=E9sum=E9?=", problems) == "résumé"
    assert decode_header_value(b_word("中文", "iso-8859-1", "utf-8"), problems) == "中文"
    assert problems == ["header encoded word bytes are not iso-8859-1, used utf-8"]


def test_broken_words_stay_readable() -> None:
    assert decode_header_value("=?utf-8?B?not base64!?=") is not None
    assert decode_header_value("=?utf-8?Q?=ZZbad?=") == "=ZZbad"
    assert decode_header_value("hello =?utf-8?B?5Lit") == "hello =?utf-8?B?5Lit"  # unterminated: left as is
    assert decode_header_value("a=?utf-8?B?5Lit?=b") == "a中b"  # not delimited by spaces, decoded anyway


# --- RFC 2231 and other parameters ------------------------------------------------------------------------


def test_rfc2231_filenames_utf8_gbk_and_continuations() -> None:
    assert content_params("attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf") == (
        "attachment",
        {"filename": "报价单.pdf"},
    )
    assert content_params("attachment; filename*=GBK'zh-cn'%B1%A8%BC%DB.xls")[1]["filename"] == "报价.xls"
    folded = "attachment;\r\n filename*0*=UTF-8''%E5%90%88%E5%90;\r\n filename*1*=%8C.docx; size=10"
    assert content_params(folded)[1] == {"filename": "合同.docx", "size": "10"}
    assert content_params('attachment; filename*0="long "; filename*1="name.txt"')[1]["filename"] == "long name.txt"


def test_odd_section_numbers_do_not_break_parameters() -> None:
    problems: list[str] = []
    assert content_params("attachment; filename*¹*=x; filename*99999999999999999999=y", problems)[0] == "attachment"
    assert problems == []


def test_real_world_filename_forms() -> None:
    encoded = f'application/pdf; name="{b_word("截图", "gb2312", "gbk")}"'
    assert content_params(encoded) == ("application/pdf", {"name": "截图"})
    raw = b'attachment; filename="' + "合同.doc".encode("gbk") + b'"'
    assert content_params(raw)[1]["filename"] == "合同.doc"
    assert content_params('attachment; filename="C:\\docs\\a.txt"')[1]["filename"] == "C:\\docs\\a.txt"
    both = "attachment; filename=fallback.pdf; filename*=utf-8''%E6%96%B0.pdf"
    assert content_params(both)[1]["filename"] == "新.pdf"  # the RFC 2231 form wins
    assert content_params('Multipart/Mixed; boundary="a;b"; x')[1] == {"boundary": "a;b"}


# --- addresses --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"=?utf-8?B?5byg5LiJ?=" <zs@corp.cn>', [Address("张三", "zs@corp.cn")]),
        ("=?gb2312?B?wO7LxA==?= <ls@corp.cn>", [Address("李四", "ls@corp.cn")]),
        ('"张三" <zs@corp.cn>, 李四 <ls@corp.cn>', [Address("张三", "zs@corp.cn"), Address("李四", "ls@corp.cn")]),
        ("张三 zs@corp.cn", [Address("张三", "zs@corp.cn")]),
        ("张三<zs@corp.cn>", [Address("张三", "zs@corp.cn")]),
        ("zs@corp.cn (张三)", [Address("张三", "zs@corp.cn")]),
        ("Chen, Kun <kun@corp.cn>; bob@x.com", [Address("Chen, Kun", "kun@corp.cn"), Address("", "bob@x.com")]),
        ("'Alice' <alice@x.com>", [Address("Alice", "alice@x.com")]),
        ("<billing@corp.cn>", [Address("", "billing@corp.cn")]),
        ('"bob@x.com" <bob@x.com>', [Address("", "bob@x.com")]),
        ("undisclosed-recipients:;", []),
        ("team: a@x.com, b@x.com;", [Address("", "a@x.com"), Address("", "b@x.com")]),
        ("=?utf-8?Q?Zhang,_San?= <z@x.com>", [Address("Zhang, San", "z@x.com")]),  # comma in a broken Q word
        ("张三 <zs@corp.cn", [Address("张三", "zs@corp.cn")]),  # missing closing bracket
        ("<mailto:a@x.com>", [Address("", "a@x.com")]),
        ("", []),
    ],
)
def test_address_lists(value: str, expected: list[Address]) -> None:
    assert parse_address_list(value) == expected


def test_raw_gbk_display_name_and_address_str() -> None:
    problems: list[str] = []
    found = parse_address_list("张三".encode("gbk") + b" <zs@corp.cn>", problems)
    assert found == [Address("张三", "zs@corp.cn")]
    assert problems == ["undecodable address bytes, used gb18030"]
    assert str(found[0]) == "张三 <zs@corp.cn>"


# --- properties -------------------------------------------------------------------------------------------


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(raw: bytes) -> None:
    problems: list[str] = []
    assert isinstance(decode_header_value(raw, problems), str)
    assert isinstance(parse_address_list(raw, problems), list)
    assert isinstance(content_params(raw, problems)[1], dict)
    assert not [p for p in problems if "could not" in p]  # notes from a caught internal error


PIECES = ["=?", "?=", "?B?", "?Q?", "gb2312", "utf-8", "big5", "x", "5Lit", "=E4", "_", " ", '"', "<", ">", ",", "@"]


@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=40))
def test_word_like_garbage_never_raises(pieces: list[str]) -> None:
    value = "".join(pieces)
    problems: list[str] = []
    assert isinstance(decode_header_value(value, problems), str)
    assert isinstance(parse_address_list(value, problems), list)
    assert isinstance(content_params("attachment; filename*0*=" + value, problems), tuple)
    assert not [p for p in problems if "could not" in p]


@cache
def repertoire(codec: str) -> str:
    """Every character a double-byte codec can encode, plus printable ASCII (including ?, =, _)."""
    chars = {chr(c) for c in range(32, 127)}
    probe = "gbk" if codec == "iso2022_jp" else codec  # JIS kanji are found among GBK's, then filtered
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                char = bytes([lead, trail]).decode(probe)
                char.encode(codec)
            except UnicodeError:
                continue
            if len(char) == 1:  # HKSCS has a few pairs that decode to a letter plus a combining mark
                chars.add(char)
    return "".join(sorted(chars))


CHARSETS = [  # (label in the header, codec the sender really used)
    ("utf-8", "utf-8"),
    ("gb18030", "gb18030"),
    ("gb2312", "gbk"),  # what Windows senders mean by gb2312 (Python's own gb2312 differs in ― and ・)
    ("GBK", "gbk"),
    ("big5", "cp950"),  # Taiwanese Windows clients; differs from Python's "big5" in a few symbols (¢, ～)
    ("big5-hkscs", "big5hkscs"),
    ("iso-2022-jp", "iso2022_jp"),
]


@st.composite
def encoded_header(draw: st.DrawFn) -> tuple[str, str]:
    label, codec = draw(st.sampled_from(CHARSETS))
    if codec in ("utf-8", "gb18030"):
        text = draw(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30))
    else:
        text = draw(st.text(st.sampled_from(repertoire(codec)), min_size=1, max_size=30))
    data = text.encode(codec)
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(data) - 1)), max_size=4))))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if data[a:b]]
    words = []
    for chunk in chunks:
        if draw(st.booleans()):
            words.append(f"=?{label}?B?{base64.b64encode(chunk).decode()}?=")
        else:
            words.append(f"=?{label}?Q?{''.join(f'={b:02X}' for b in chunk)}?=")
    separators = draw(st.lists(st.sampled_from([" ", "\r\n ", "\t", "  ", "\r\n\t"]), min_size=len(words)))
    value = words[0] + "".join(sep + word for sep, word in zip(separators, words[1:], strict=False))
    return value, text


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(encoded_header())
def test_any_text_encoded_as_rfc2047_round_trips(case: tuple[str, str]) -> None:
    value, text = case
    problems: list[str] = []
    assert decode_header_value(value, problems) == text
    assert problems == []


@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n?"), max_size=40))
def test_raw_utf8_header_round_trips(text: str) -> None:
    problems: list[str] = []
    assert decode_header_value(text.encode(), problems) == text
    assert problems == []
