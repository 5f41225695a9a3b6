"""Sequence sets (``1:4,7,9:*``) as inclusive ranges."""

from __future__ import annotations

import re

from mailhub.sandbox.imap.parser import ParseError


def parse_sequence_set(text: str, largest: int) -> list[tuple[int, int]]:
    """Ranges (low, high) with ``*`` read as ``largest``; ``4:2`` is the same as ``2:4``."""
    if not text or not re.fullmatch(r"(?:(?:\d+|\*)(?::(?:\d+|\*))?,)*(?:\d+|\*)(?::(?:\d+|\*))?", text):
        raise ParseError(f"invalid sequence set {text[:40]!r}")
    ranges = []
    for first, second in re.findall(r"(\d+|\*)(?::(\d+|\*))?", text):
        low = largest if first == "*" else int(first)
        high = low if not second else (largest if second == "*" else int(second))
        if first == "0" or second == "0":
            raise ParseError("0 is not a valid message number")
        ranges.append((min(low, high), max(low, high)))
    return ranges


def contains(ranges: list[tuple[int, int]], number: int) -> bool:
    return any(low <= number <= high for low, high in ranges)
