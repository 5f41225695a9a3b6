"""Mailbox names as clients send them: RFC 3501 modified UTF-7 (``&W6JiNw-`` is 客户).

The sandbox stores names as sent, so it must refuse a name no client could decode back (Dovecot does too).
"""

from __future__ import annotations

import base64
import binascii
import re

_SHIFTED = re.compile(r"&([^-]*)-")


def is_valid_modified_utf7(name: str) -> bool:
    """True when ``name`` is printable ASCII whose ``&...-`` runs decode to UTF-16 (and ``&`` is written ``&-``)."""
    if any(not (0x20 <= ord(char) <= 0x7E) for char in name):
        return False
    position = 0
    for match in _SHIFTED.finditer(name):
        if "&" in name[position : match.start()]:
            return False
        position = match.end()
        encoded = match.group(1)
        if encoded and not _decodes_to_utf16(encoded):
            return False
    return "&" not in name[position:]


def _decodes_to_utf16(encoded: str) -> bool:
    if "=" in encoded or "/" in encoded:
        return False
    padded = encoded.replace(",", "/") + "=" * (-len(encoded) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
        text = raw.decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    # Printable ASCII must not be base64-encoded (RFC 3501 5.1.3); a shifted run holds other characters.
    return len(raw) % 2 == 0 and all(not (0x20 <= ord(char) <= 0x7E) for char in text)


def superior_names(name: str, delimiter: str) -> list[str]:
    """``a/b/c`` → ``["a", "a/b"]``: the parents RFC 3501 CREATE says a server SHOULD create."""
    parts = name.split(delimiter)
    return [delimiter.join(parts[:index]) for index in range(1, len(parts)) if parts[index - 1]]
