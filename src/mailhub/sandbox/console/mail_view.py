"""Reading stored messages for the mailbox viewer: list rows and one message as plain text.

HTML bodies are never rendered: the viewer shows the text part, or the HTML source as text, so a
message cannot run script or load anything in the console.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from mailhub.sync import summarize

MAX_BODY_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class MessageLine:
    """One row of a mailbox list."""

    key: int  # the UID (delivered mail) or the capture id (outbound mail)
    subject: str
    sender: str
    recipients: str
    date: str
    size: int
    unread: bool = False


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message as the viewer shows it."""

    subject: str
    sender: str
    recipients: str
    cc: str
    date: str
    message_id: str
    body: str
    attachments: list[str] = field(default_factory=list)


def line(key: int, raw: bytes, size: int, unread: bool = False) -> MessageLine:
    summary = summarize(raw, size=size)
    return MessageLine(
        key=key,
        subject=summary.subject,
        sender=str(summary.from_) if summary.from_ else "",
        recipients=", ".join(str(a) for a in summary.to),
        date=summary.date.astimezone().strftime("%Y-%m-%d %H:%M") if summary.date else "—",
        size=size,
        unread=unread,
    )


def view(raw: bytes) -> MessageView:
    summary = summarize(raw, size=len(raw))
    body, attachments = _text_and_attachments(raw)
    return MessageView(
        subject=summary.subject,
        sender=str(summary.from_) if summary.from_ else "",
        recipients=", ".join(str(a) for a in summary.to),
        cc=", ".join(str(a) for a in summary.cc),
        date=summary.date.astimezone().strftime("%Y-%m-%d %H:%M:%S") if summary.date else "—",
        message_id=summary.message_id or "",
        body=body[:MAX_BODY_CHARS],
        attachments=attachments or summary.attachment_names,
    )


def _text_and_attachments(raw: bytes) -> tuple[str, list[str]]:
    """The best text part and the attachment names; a message the stdlib cannot decode shows as raw text."""
    try:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
        names = [p.get_filename() or "(unnamed)" for p in message.iter_attachments()]
        return str(text), names
    except Exception:  # mail content is untrusted: any decoding failure falls back to the raw text
        return raw.decode("utf-8", "replace"), []
