"""Building the message a person asked to send: MIME with text, HTML and attachments, Chinese subjects and
names as RFC 2047 words, and a Message-ID fixed once, so every later check can find this exact message.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, localtime, make_msgid
from pathlib import Path


class ComposeError(ValueError):
    """The message cannot be built as asked (no recipient, unreadable attachment, bad address)."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.messages = {"en": en, "zh": zh}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach: its name as the recipient sees it, its bytes, its MIME type."""

    filename: str
    data: bytes = field(repr=False)
    content_type: str = "application/octet-stream"

    @classmethod
    def from_path(cls, path: Path) -> Attachment:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ComposeError(
                "attachment_unreadable", f"Cannot read attachment {path}: {exc.strerror}.", f"无法读取附件 {path}。"
            ) from None
        guessed, _ = mimetypes.guess_type(path.name)
        return cls(path.name, data, guessed or "application/octet-stream")


@dataclass(frozen=True, slots=True)
class Draft:
    """What the person wrote. Addresses may carry names (``张三 <zs@example.cn>``)."""

    from_address: str
    to: Sequence[str] = ()
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    subject: str = ""
    text: str | None = None
    html: str | None = None
    attachments: Sequence[Attachment] = ()
    from_name: str | None = None


@dataclass(frozen=True, slots=True)
class ComposedMessage:
    """Ready to send: the bytes on the wire, the Message-ID in them, and the envelope."""

    raw: bytes = field(repr=False)
    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    subject: str


def _addresses(values: Sequence[str]) -> list[Address]:
    found: list[Address] = []
    for name, addr in getaddresses([v for v in values if v and v.strip()]):
        local, at, domain = addr.partition("@")
        if not (local and at and domain and " " not in addr):
            raise ComposeError("address_invalid", f"Not an email address: {addr!r}.", f"不是有效的邮箱地址：{addr!r}。")
        found.append(Address(display_name=name, username=local, domain=domain))
    return found


def compose(draft: Draft, *, message_id: str | None = None) -> ComposedMessage:
    """Build the message; ``message_id`` is made from the sender's domain unless given."""
    sender = _addresses([draft.from_address])[0]
    to, cc, bcc = _addresses(draft.to), _addresses(draft.cc), _addresses(draft.bcc)
    if not (to or cc or bcc):
        raise ComposeError("no_recipient", "The message has no recipient.", "邮件没有收件人。")
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=draft.from_name or "", username=sender.username, domain=sender.domain)
    if to:
        message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(localtime())
    message_id = message_id or make_msgid(domain=sender.domain)
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    if draft.text is not None or draft.html is None:
        message.set_content(draft.text or "", subtype="plain", charset="utf-8", cte="base64")
        if draft.html is not None:
            message.add_alternative(draft.html, subtype="html", charset="utf-8", cte="base64")
    else:
        message.set_content(draft.html, subtype="html", charset="utf-8", cte="base64")
    for attachment in draft.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    recipients = tuple(dict.fromkeys(a.addr_spec for a in (*to, *cc, *bcc)))
    return ComposedMessage(message.as_bytes(), message_id, sender.addr_spec, recipients, draft.subject)
