"""Header text from real-world mail bytes: RFC 2047 words, raw 8-bit bytes, wrong or unknown charsets.

Chinese mail is the common case here, not the exception: ``gb2312`` labels on GBK bytes, encoded words split
in the middle of a character, raw GBK or Big5 from old clients, ``utf-8`` labels on GBK bytes. Every function
returns text and never raises; what was wrong is appended to an optional ``problems`` list, so the sync engine
can store a message it could only half read and say why.
"""

from __future__ import annotations

import binascii
import codecs
import re
import string
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote_to_bytes

# Tried in this order when bytes carry no usable label (RFC 6532 UTF-8 first, then what Chinese clients send).
RAW_FALLBACKS = ("utf-8", "gb18030", "cp950")
_FALLBACK_NAMES = {"utf-8": "utf-8", "gb18030": "gb18030", "cp950": "big5", "latin-1": "latin-1"}


def _labels(names: str) -> frozenset[str]:
    return frozenset(names.split())


# gb2312 and gbk labels routinely carry GBK-only characters (镕, 堃); gb18030 is a superset of both.
_GB = _labels("gb2312 gbk gb18030 cp936 ms936 windows936 euccn xeuccn xgbk csgbk chinese csgb2312 gb231280 xgb2312")
# Taiwanese clients label cp950 (Microsoft's Big5) as big5; HKSCS covers Hong Kong additions.
_BIG5 = _labels("big5 cp950 ms950 windows950 xxbig5 xbig5 csbig5 big5tw")
_HKSCS = _labels("big5hkscs hkscs")
_JIS = _labels("iso2022jp csiso2022jp iso2022jp2 iso2022jpext jis")
_SJIS = _labels("shiftjis sjis xsjis cp932 windows31j mskanji csshiftjis")
_KR = _labels("euckr ksc56011987 ksc5601 cp949 windows949 ksc56011989")
_ASCII = _labels("usascii ascii ansix3.41968 iso646us 7bit 8bit")
_LATIN1 = _labels("iso88591 latin1 l1 cp819 iso885911987")
# Text codecs that are not charsets: never let a header label pick them.
_NOT_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode", "mbcs"})
_SEVEN_BIT = frozenset({"iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "utf-7", "hz", "iso2022_kr"})


@lru_cache(maxsize=512)
def charset_codecs(label: str | None) -> tuple[str, ...]:
    """The Python codecs to try, in order, for a charset label as found in mail; () when unknown."""
    if not label:
        return ()
    name = label.strip().strip("\"'").split("*", 1)[0].lower()
    compact = name.replace("-", "").replace("_", "").replace(" ", "")
    if compact in _GB:
        return ("gb18030",)
    if compact in _BIG5:
        return ("cp950", "big5hkscs")
    if compact in _HKSCS:
        return ("big5hkscs", "cp950")
    if compact in ("utf8", "xutf8", "unicode11utf8", "utf8mb4"):
        return ("utf-8",)
    if compact in _JIS:
        return ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext")
    if compact in _SJIS:
        return ("cp932", "shift_jis_2004")
    if compact in _KR:
        return ("cp949",)
    if compact in _ASCII:
        return ("ascii",)
    if compact in _LATIN1:
        return ("latin-1",)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return ()
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:  # type: ignore[attr-defined]
        return ()
    return (info.name,)


def _strict(data: bytes, codec: str, partial: bool) -> str:
    if partial:  # a cut-off body: a character split by the cut is not an error
        return codecs.getincrementaldecoder(codec)("strict").decode(data, final=False)
    return data.decode(codec)


def decode_bytes(
    data: bytes,
    charset: str | None,
    what: str,
    problems: list[str] | None = None,
    *,
    hint: str | None = None,
    partial: bool = False,
) -> str:
    """Text for ``data`` labelled ``charset``; wrong or unknown labels fall back to UTF-8, GB18030, Big5, latin-1.

    ``what`` names the field in problem notes ("subject", "body text"); ``hint`` is another charset seen in the
    same message (e.g. the body's) tried before the generic fallbacks; ``partial`` means ``data`` was cut off.
    """
    tried = charset_codecs(charset)
    if data.isascii():
        if not tried and b"\x1b$" in data:
            tried = ("iso2022_jp_2",)  # unlabelled ISO-2022-JP, as old Japanese clients send headers
        elif not _SEVEN_BIT.intersection(tried):
            return data.decode("ascii")
    for codec in tried:
        if codec == "ascii":
            break  # 8-bit bytes under a 7-bit label: usually UTF-8 or GBK from a careless client
        if codec == "latin-1":
            return _latin1_or_utf8(data, charset, what, problems, partial)
        try:
            return _strict(data, codec, partial)
        except (UnicodeDecodeError, LookupError):
            continue
    hinted = tuple(c for c in charset_codecs(hint) if c not in ("ascii", "latin-1", "utf-8"))
    for codec in ("utf-8", *hinted, *RAW_FALLBACKS[1:]):
        if codec in tried:
            continue
        try:
            text = _strict(data, codec, partial)
        except (UnicodeDecodeError, LookupError):
            continue
        if problems is not None and (charset is not None or codec != "utf-8"):
            problems.append(_note(what, charset, _FALLBACK_NAMES.get(codec, codec)))
        return text
    last = "latin-1" if not tried or tried[0] == "ascii" else tried[0]
    if problems is not None:
        problems.append(_note(what, charset, _FALLBACK_NAMES.get(last, last), lossy=last != "latin-1"))
    return data.decode(last, "replace")


def _latin1_or_utf8(data: bytes, charset: str | None, what: str, problems: list[str] | None, partial: bool) -> str:
    # Genuine Western text is never valid multibyte UTF-8, so a UTF-8 decode here is a mislabel. GBK is not
    # guessed: any latin-1 byte string is also "valid" GBK often enough to mangle French or German names.
    try:
        text = _strict(data, "utf-8", partial)
    except UnicodeDecodeError:
        return data.decode("latin-1")
    if problems is not None:
        problems.append(_note(what, charset, "utf-8"))
    return text


def _note(what: str, charset: str | None, used: str, lossy: bool = False) -> str:
    how = "with replacement characters" if lossy else ""
    if not charset:
        return f"undecodable {what} bytes, used {used} {how}".rstrip()
    if not charset_codecs(charset):
        return f"unknown charset {charset[:40]!r} in {what}, used {used} {how}".rstrip()
    return f"{what} bytes are not {charset[:40]}, used {used} {how}".rstrip()


def raw_header_text(raw: bytes | str, what: str, problems: list[str] | None = None, hint: str | None = None) -> str:
    """A header value as ``str`` without touching encoded words; raw 8-bit bytes go through the fallbacks."""
    if isinstance(raw, str):
        return raw
    if raw.isascii() and b"\x1b$" not in raw:  # the common case, and what decode_bytes would return
        return raw.decode("ascii")
    return decode_bytes(raw, None, what, problems, hint=hint)


# An RFC 2047 encoded word; spaces inside the text are tolerated (some encoders emit them in Q words).
ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def unfold(text: str) -> str:
    """A header value with its line folds removed (the whitespace after each fold is kept)."""
    return _FOLD.sub("", text) if "\n" in text else text


_BASE64_ALPHABET = (string.ascii_letters + string.digits + "+/").encode()
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)


def base64_bytes(data: bytes, *, partial: bool = False) -> bytes:
    """Base64 decoded leniently: junk and padding ignored; a cut-off tail is dropped (``partial``) or padded."""
    clean = data.translate(None, _NOT_BASE64)
    extra = len(clean) % 4
    if extra == 1 or (extra and partial and not data.rstrip().endswith(b"=")):  # padding: the text is whole
        clean = clean[: len(clean) - extra]
    elif extra:
        clean += b"=" * (4 - extra)
    try:
        return binascii.a2b_base64(clean)
    except binascii.Error:  # pragma: no cover - clean input is always valid base64
        return b""


def _word_bytes(encoding: str, text: str) -> bytes:
    raw = text.encode("utf-8", "replace")
    if encoding in "bB":
        return base64_bytes(raw)
    return binascii.a2b_qp(raw, header=True)


def decode_header_value(
    raw: bytes | str, problems: list[str] | None = None, *, hint: str | None = None, what: str = "header"
) -> str:
    """The text a person should see for a header value (subject, display name, filename); never raises.

    Folding is undone; adjacent encoded words are joined without the whitespace between them, and words in
    the same charset are decoded as one byte string, so a character split across two words survives.
    """
    try:
        text = unfold(raw_header_text(raw, what, problems, hint))
        if "=?" not in text:
            return text
        return _decode_words(text, problems, hint, what)
    except Exception as exc:  # never raise on mail content: record and hand back something readable
        if problems is not None:
            problems.append(f"{what} could not be decoded ({type(exc).__name__})")
        return raw.decode("latin-1") if isinstance(raw, bytes) else raw


def _decode_words(text: str, problems: list[str] | None, hint: str | None, what: str) -> str:
    out: list[str] = []
    run: list[tuple[str, str]] = []  # (encoding, payload) of adjacent words in one charset
    run_charset = ""
    pos = 0
    for match in ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        charset, encoding, payload = match.group(1), match.group(2), match.group(3)
        same = charset.lower() == run_charset.lower()
        if run and not between.strip() and same:
            run.append((encoding, payload))
        else:
            if run:
                out.append(_decode_run(run, run_charset, problems, hint, what))
            if not (run and not between.strip()):  # whitespace between two encoded words is dropped
                out.append(between)
            run, run_charset = [(encoding, payload)], charset
        pos = match.end()
    if run:
        out.append(_decode_run(run, run_charset, problems, hint, what))
    out.append(text[pos:])
    return "".join(out)


def _decode_run(
    run: list[tuple[str, str]], charset: str, problems: list[str] | None, hint: str | None, what: str
) -> str:
    split_quantum = any(len(payload.strip()) % 4 for _, payload in run[:-1])
    if split_quantum and all(enc in "bB" for enc, _ in run):  # one base64 text cut at any character
        data = base64_bytes("".join(payload for _, payload in run).encode("ascii", "ignore"))
    else:
        data = b"".join(_word_bytes(enc, payload) for enc, payload in run)
    return decode_bytes(data, charset, f"{what} encoded word", problems, hint=hint)


def _split_params(value: str) -> list[str]:
    """``value`` cut at semicolons outside quotes; an unclosed quote runs to the end."""
    if '"' not in value:
        return value.split(";")
    if "\\" not in value:
        return _split_params_quoted(value)
    pieces: list[str] = []
    start, quoted, escaped = 0, False, False
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            pieces.append(value[start:i])
            start = i + 1
    pieces.append(value[start:])
    return pieces


def _split_params_quoted(value: str) -> list[str]:
    """``_split_params`` for a value without backslashes: every other ``"``-separated segment is inside quotes,
    so only the outside ones are cut (str methods instead of a loop over each character)."""
    pieces = [""]
    for index, segment in enumerate(value.split('"')):
        if index % 2:
            pieces[-1] += '"' + segment
            continue
        if index:
            pieces[-1] += '"'
        first, *rest = segment.split(";")
        pieces[-1] += first
        pieces.extend(rest)
    return pieces


def unquote(value: str) -> str:
    """A parameter or display-name value without its surrounding double quotes and escapes."""
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        if "\\" in value:  # only \" and \\ are escapes; Windows paths keep their other backslashes
            value = value.replace('\\"', '"').replace("\\\\", "\\")
    return value


def content_params(
    raw: bytes | str, problems: list[str] | None = None, *, hint: str | None = None
) -> tuple[str, dict[str, str]]:
    """(lower-cased main value, decoded parameters) of a Content-Type or Content-Disposition header.

    Handles RFC 2231 (``filename*=UTF-8''%E4%B8%AD.pdf``, ``GBK''...``, ``name*0*=``/``name*1*=`` continuations)
    and the real-world forms: encoded words inside quotes (``filename="=?gb2312?B?...?="``) and raw 8-bit names.
    """
    if not raw:
        return "", {}  # most parts have no Content-Disposition
    if isinstance(raw, bytes) and len(raw) <= _PARAMS_MEMO_LIMIT:
        value, params, notes = _content_params_memo(raw, hint)
        if problems is not None:
            problems.extend(notes)
        return value, dict(params)
    return _content_params(raw, problems, hint)


# Part headers repeat from message to message (``text/plain; charset="utf-8"``), so short values are parsed
# once, with the problem notes they made; every caller gets its own copy of the parameters.
_PARAMS_MEMO_LIMIT = 512


@lru_cache(maxsize=2048)
def _content_params_memo(raw: bytes, hint: str | None) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]:
    notes: list[str] = []
    value, params = _content_params(raw, notes, hint)
    return value, tuple(params.items()), tuple(notes)


def _content_params(raw: bytes | str, problems: list[str] | None, hint: str | None) -> tuple[str, dict[str, str]]:
    try:
        pieces = _split_params(unfold(raw_header_text(raw, "parameter", problems, hint)))
        pairs = []
        for piece in pieces[1:]:
            name, eq, value = piece.partition("=")
            if eq:
                pairs.append((name, unquote(value)))
        return pieces[0].strip().lower(), decode_params(pairs, problems, hint=hint)
    except Exception as exc:  # never raise on mail content
        if problems is not None:
            problems.append(f"parameters could not be parsed ({type(exc).__name__})")
        return "", {}


def decode_params(
    pairs: Iterable[tuple[str, str]], problems: list[str] | None = None, *, hint: str | None = None
) -> dict[str, str]:
    """Parameters by lower-cased name from (name, unquoted value) pairs, RFC 2231 sections joined and decoded.

    Shared by header parameters and IMAP BODYSTRUCTURE lists, which carry the same names and values.
    """
    plain: dict[str, str] = {}
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for raw_name, value in pairs:
        name = raw_name.strip().lower()
        if not name:
            continue
        if "*" in name:
            base, _, rest = name.partition("*")
            index_text = rest.rstrip("*")
            index = int(index_text) if index_text.isascii() and index_text.isdigit() else 0
            extended.setdefault(base, []).append((index, name.endswith("*"), value))
        elif name not in plain:
            plain[name] = value
    params = {name: decode_header_value(value, problems, hint=hint, what=name) for name, value in plain.items()}
    for name, sections in extended.items():
        params[name] = _rfc2231_value(sorted(sections), problems, hint)
    return params


def _rfc2231_value(sections: list[tuple[int, bool, str]], problems: list[str] | None, hint: str | None) -> str:
    charset = None
    data = bytearray()
    for position, (_, encoded, value) in enumerate(sections):
        if encoded:
            if position == 0 and value.count("'") >= 2:
                charset, _, value = value.split("'", 2)
            data += unquote_to_bytes(value)
        else:
            data += value.encode("utf-8")
    if charset is None and not any(encoded for _, encoded, _ in sections):
        return decode_header_value(data.decode("utf-8"), problems, hint=hint)
    return decode_bytes(bytes(data), charset or None, "parameter", problems, hint=hint)
