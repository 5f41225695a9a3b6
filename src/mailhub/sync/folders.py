"""Which folders to sync: INBOX and Sent by default, found by RFC 6154 special-use or by their usual names.

Folder names travel as the server spells them (modified UTF-7, e.g. ``&XfJT0ZAB-`` for 已发送); ``display_name``
gives the words a person reads.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from mailhub.sync.fetch_reader import _LITERAL_AT, _quoted

_LIST = re.compile(rb"\* LIST \(([^)]*)\) (NIL|\"(?:[^\"\\]|\\.)*\") ", re.IGNORECASE)
SPECIAL_USES = ("\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive", "\\All", "\\Flagged")
# Where providers without SPECIAL-USE keep sent mail (Chinese providers often use the Chinese name).
_SENT_NAMES = ("sent", "sent messages", "sent items", "sent mail", "已发送", "已发送邮件", "发件箱")


@dataclass(frozen=True, slots=True)
class Folder:
    """One folder from LIST: its name as the server spells it, its flags, and its special use if any."""

    name: str
    flags: tuple[str, ...]
    special_use: str | None

    @property
    def selectable(self) -> bool:
        return not any(flag.lower() in ("\\noselect", "\\nonexistent") for flag in self.flags)

    @property
    def display_name(self) -> str:
        return decode_mutf7(self.name)


def parse_list(lines: list[bytes]) -> list[Folder]:
    """Folders from raw ``* LIST`` responses (names may be atoms, quoted strings or literals)."""
    folders: list[Folder] = []
    for line in lines:
        match = _LIST.match(line)
        if match is None:
            continue
        flags = tuple(match.group(1).decode("ascii", "replace").split())
        rest = line[match.end() :]
        if rest.startswith(b'"'):
            raw, _ = _quoted(rest, 0)
        elif (literal := _LITERAL_AT.match(rest)) is not None:
            raw = rest[literal.end() : literal.end() + int(literal.group(1))]
        else:
            raw = rest.strip()
        name = raw.decode("utf-8", "replace")
        special = next((flag for flag in flags if flag.capitalize() in SPECIAL_USES), None)
        folders.append(Folder(name, flags, special.capitalize() if special else None))
    return folders


def folders_to_sync(folders: list[Folder], extra: tuple[str, ...] = ()) -> list[Folder]:
    """INBOX, the Sent folder (special-use first, then a usual name), then any ``extra`` names asked for."""
    chosen: list[Folder] = []
    by_name = {folder.name: folder for folder in folders if folder.selectable}
    inbox = next((f for f in folders if f.name.upper() == "INBOX"), Folder("INBOX", (), None))
    chosen.append(inbox)
    sent = next((f for f in folders if f.special_use == "\\Sent" and f.selectable), None)
    if sent is None:
        sent = next((f for f in folders if f.display_name.lower() in _SENT_NAMES and f.selectable), None)
    if sent is not None:
        chosen.append(sent if sent.special_use else Folder(sent.name, sent.flags, "\\Sent"))
    for name in extra:
        folder = by_name.get(name) or next((f for f in folders if f.display_name == name), None)
        if folder is not None and folder not in chosen:
            chosen.append(folder)
    return chosen


def decode_mutf7(name: str) -> str:
    """RFC 3501 modified UTF-7 to text (``&XfJT0ZAB-`` → 已发送); names that are not valid stay as they are."""
    if "&" not in name:
        return name
    out: list[str] = []
    i = 0
    while i < len(name):
        amp = name.find("&", i)
        if amp < 0:
            out.append(name[i:])
            break
        out.append(name[i:amp])
        dash = name.find("-", amp)
        if dash < 0:
            return name
        chunk = name[amp + 1 : dash]
        if not chunk:
            out.append("&")
        else:
            padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(padded).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                return name
        i = dash + 1
    return "".join(out)


def encode_mutf7(text: str) -> str:
    """Text to modified UTF-7, for a folder name a person typed (已发送 → ``&XfJT0ZAB-``)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + data.replace("/", ",") + "-")
            run.clear()

    for ch in text:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)
