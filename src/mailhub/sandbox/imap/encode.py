"""Writing IMAP data: strings as quoted or literal, NIL, lists, flags, dates and UID sets."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_QUOTABLE = frozenset(range(0x20, 0x7F))


def string(value: bytes | str) -> bytes:
    """A quoted string when safe (printable ASCII, short), else a literal (8-bit, CR/LF, long)."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    if len(value) <= 1000 and all(b in _QUOTABLE for b in value):
        return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(value) + value


def nstring(value: bytes | str | None) -> bytes:
    return b"NIL" if value is None else string(value)


def paren(items: Iterable[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


def flag_list(flags: str) -> bytes:
    """``flags`` is the store's space-separated text."""
    return b"(" + flags.encode("utf-8", "surrogateescape") + b")"


def internal_date(epoch: float) -> bytes:
    """``"17-Jul-1996 02:44:25 +0000"`` (always UTC)."""
    t = time.gmtime(epoch)
    return b'"%02d-%s-%04d %02d:%02d:%02d +0000"' % (
        t.tm_mday,
        _MONTHS[t.tm_mon - 1].encode(),
        t.tm_year,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
    )


def uid_set(uids: Sequence[int]) -> bytes:
    """Compact ``1:3,7`` form of UIDs in the given order (COPYUID keeps source and target orders aligned)."""
    parts: list[bytes] = []
    index = 0
    while index < len(uids):
        start = index
        while index + 1 < len(uids) and uids[index + 1] == uids[index] + 1:
            index += 1
        first, last = uids[start], uids[index]
        parts.append(b"%d" % first if first == last else b"%d:%d" % (first, last))
        index += 1
    return b",".join(parts)
