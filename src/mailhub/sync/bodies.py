"""A whole message when someone opens it: fetched once with ``BODY.PEEK[]`` (so it stays unread), cached
in the store, and read into text, safe HTML and a list of attachments.

Parsing one opened message with the stdlib's modern email policy is fine (milliseconds); the sync engine
never does it for list views.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from mailhub.accounts.vault import Vault
from mailhub.store import Store
from mailhub.store.mail_models import MessageBodyRow
from mailhub.sync.decoding import decode_bytes
from mailhub.sync.fetch_reader import FetchedMessage
from mailhub.sync.html_text import html_to_text
from mailhub.sync.write_back import find_message, open_account_session


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment: its number in the message (for ``messages attachment ID N``), name, type, size."""

    number: int
    filename: str
    content_type: str
    size: int


@dataclass(slots=True)
class MessageView:
    """What ``messages show`` displays."""

    text: str = ""
    html: str = ""  # sanitized: no scripts, styles, event handlers or javascript: links
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def message_body(store: Store, vault: Vault, message_id: int) -> bytes:
    """The whole message: from the cache, else fetched from the server (without setting \\Seen) and cached."""
    with store.session() as session:
        cached = session.get(MessageBodyRow, message_id)
        if cached is not None:
            return cached.raw
    message = find_message(store, message_id)
    got: list[bytes] = []

    def keep(fetched: FetchedMessage) -> None:
        if fetched.uid == message.uid and fetched.body is not None:
            got.append(fetched.body)

    session = await open_account_session(store, vault, message.account_id)
    try:
        await session.select(message.folder)
        await session.uid_fetch(str(message.uid), "(UID BODY.PEEK[])", on_message=keep)
        await session.logout()
    finally:
        await session.close()
    if not got:
        raise LookupError(f"the server no longer has message {message_id}")
    with store.session() as session:
        if session.get(MessageBodyRow, message_id) is None:
            session.add(MessageBodyRow(message_row_id=message_id, raw=got[0]))
    return got[0]


def read_message(raw: bytes) -> MessageView:
    """Text, sanitized HTML and attachments of a whole message; broken parts are noted, never raised."""
    view = MessageView()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    for part in parsed.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if disposition == "attachment" or (filename and ctype not in ("text/plain", "text/html")):
            payload = part.get_payload(decode=True) or b""
            view.attachments.append(Attachment(len(view.attachments) + 1, filename or "", ctype, len(payload)))
            continue
        if ctype == "text/plain" and not view.text:
            view.text = _text(part, view.problems)
        elif ctype == "text/html" and not view.html:
            view.html = sanitize_html(_text(part, view.problems))
    if not view.text and view.html:
        view.text = " ".join(html_to_text(view.html).split())
    return view


def attachment_bytes(raw: bytes, number: int) -> tuple[str, bytes]:
    """(file name, content) of attachment ``number`` (1-based, as ``read_message`` counts them)."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    count = 0
    for part in parsed.walk():
        if part.is_multipart():
            continue
        filename = _filename(part)
        ctype = part.get_content_type()
        if part.get_content_disposition() == "attachment" or (filename and ctype not in ("text/plain", "text/html")):
            count += 1
            if count == number:
                return filename or f"attachment-{number}", part.get_payload(decode=True) or b""
    raise LookupError(f"no attachment {number}")


def _filename(part: EmailMessage) -> str:
    try:
        return part.get_filename() or ""
    except (ValueError, LookupError):
        return ""


def _text(part: EmailMessage, problems: list[str]) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset(), "body", problems)


_HIDDEN = re.compile(
    r"<(script|style|head|title|iframe|object|embed|applet|form|noscript|template|xml|svg|math)\b[^>]*(?:>|\Z)"
    r"(?:.*?(?:</\1\s*>|\Z))?",
    re.I | re.S,
)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|<![^>]*(?:>|\Z)", re.S)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)(>|\Z)")
_ATTR = re.compile(r"""([A-Za-z][A-Za-z0-9_:-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "code",
        "div",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
)
_ALLOWED_ATTRS = frozenset(
    [
        "href",
        "src",
        "alt",
        "title",
        "width",
        "height",
        "align",
        "valign",
        "colspan",
        "rowspan",
        "color",
        "size",
        "border",
    ]
)
_SAFE_URL = re.compile(r"^(https?:|mailto:|cid:|#)", re.I)


def sanitize_html(markup: str) -> str:
    """An allow-list of tags and attributes; scripts, styles, frames, forms, event handlers and non-http(s)
    links are removed. Linear-time regular expressions (see ``html_text`` for why not ``html.parser``)."""
    markup = _COMMENT.sub("", markup)
    markup = _HIDDEN.sub("", markup)
    out: list[str] = []
    pos = 0
    for match in _TAG.finditer(markup):
        out.append(markup[pos : match.start()].replace("<", "&lt;"))
        pos = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if name not in _ALLOWED_TAGS:
            continue
        if closing:
            out.append(f"</{name}>")
            continue
        attrs: list[str] = []
        for attr in _ATTR.finditer(match.group(3)):
            key = attr.group(1).lower()
            value = html.unescape((attr.group(2) or "").strip("\"'"))
            if key not in _ALLOWED_ATTRS:
                continue
            if key in ("href", "src") and not _SAFE_URL.match(value.strip()):
                continue
            attrs.append(f'{key}="{html.escape(value, quote=True)}"')
        out.append(f"<{name}{' ' + ' '.join(attrs) if attrs else ''}>")
    out.append(markup[pos:].replace("<", "&lt;"))
    return "".join(out)
