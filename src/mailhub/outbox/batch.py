"""群发单显: one message per recipient from a CSV, subject and body filled from the row's ``{name}`` fields.

Each recipient sees only their own address (never a shared To or Bcc list), and each message has its own
Message-ID, so every one is tracked, retried and checked on its own.
"""

from __future__ import annotations

import csv
import io
import string
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailhub.outbox.compose import Attachment, ComposedMessage, Draft, compose
from mailhub.outbox.entries import OutboxError

# Which column holds the address (the first one present wins); other columns are template fields.
ADDRESS_COLUMNS = ("email", "邮箱", "to", "address", "收件人")


@dataclass(frozen=True, slots=True)
class Recipient:
    """One CSV row: the address and every column as a template field."""

    address: str
    fields: Mapping[str, str]


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: Excel on Chinese Windows saves CSV as GBK."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_recipients(path: Path) -> list[Recipient]:
    """The rows of a recipients CSV with a header line (``email,name,company,...``)."""
    reader = csv.DictReader(io.StringIO(_decode(path.read_bytes())))
    columns = {c.strip().lower(): c for c in reader.fieldnames or ()}
    column = next((columns[c] for c in ADDRESS_COLUMNS if c in columns), None)
    if column is None:
        raise OutboxError(
            "csv_no_address_column",
            f"The CSV needs an address column ({', '.join(ADDRESS_COLUMNS)}).",
            f"CSV 需要一个收件地址列（{', '.join(ADDRESS_COLUMNS)}）。",
        )
    recipients = []
    for row in reader:
        address = (row.get(column) or "").strip()
        if address:
            fields = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            recipients.append(Recipient(address, fields))
    return recipients


def template_fields(template: str) -> set[str]:
    """The ``{field}`` names a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(template: str, fields: Mapping[str, str]) -> str:
    """Fill ``{field}`` from the row; ``{{`` and ``}}`` are literal braces."""
    return template.format_map(dict(fields))


def check_templates(templates: Sequence[str], recipients: Sequence[Recipient]) -> None:
    """Refuse before queueing anything when a template names a column the CSV does not have."""
    available = set(recipients[0].fields) if recipients else set()
    missing = sorted(set().union(*(template_fields(t) for t in templates)) - available)
    if missing:
        raise OutboxError(
            "template_field_missing",
            f"The template uses {', '.join(missing)}, which the CSV does not have.",
            f"模板中使用了 {', '.join(missing)}，但 CSV 中没有这些列。",
        )


def compose_batch(
    sender: str,
    recipients: Sequence[Recipient],
    subject: str,
    body: str,
    *,
    html: bool = False,
    from_name: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> list[ComposedMessage]:
    """One message per recipient, addressed to that recipient alone."""
    check_templates([subject, body], recipients)
    messages = []
    for recipient in recipients:
        text = render(body, recipient.fields)
        draft = Draft(
            sender,
            to=[recipient.address],
            subject=render(subject, recipient.fields),
            text=None if html else text,
            html=text if html else None,
            attachments=attachments,
            from_name=from_name,
        )
        messages.append(compose(draft))
    return messages


def new_batch_id() -> str:
    return uuid.uuid4().hex[:16]
