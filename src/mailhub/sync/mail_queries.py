"""Reading the synced mail for people: the unified message list (all accounts, or one), filters and search.

The CLI, the API and the web pages call these, so they all show the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from mailhub.store import AccountRow, Store
from mailhub.store.mail_models import FolderRow, MessageRow
from mailhub.sync.folders import decode_mutf7, encode_mutf7


@dataclass(frozen=True, slots=True)
class MessageItem:
    """One line of the message list."""

    id: int
    account: str
    folder: str
    uid: int
    date: datetime | None
    from_name: str
    from_email: str
    subject: str
    snippet: str
    seen: bool
    flags: str
    has_attachments: bool
    attachment_names: list[str]
    size: int | None
    message_id: str | None
    to: list[list[str]]
    cc: list[list[str]]
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["date"] = self.date.isoformat() if self.date else None
        return data


def _item(row: MessageRow, email: str, folder: str) -> MessageItem:
    return MessageItem(
        row.id,
        email,
        decode_mutf7(folder),
        row.uid,
        row.date,
        row.from_name,
        row.from_email,
        row.subject,
        row.snippet,
        row.seen,
        row.flags,
        row.has_attachments,
        list(row.attachment_names or []),
        row.size,
        row.message_id,
        list(row.to_addrs or []),
        list(row.cc_addrs or []),
        list(row.problems or []),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_messages(
    store: Store,
    *,
    account: str | int | None = None,
    folder: str | None = None,
    search: str | None = None,
    unread: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[MessageItem]:
    """Newest first. ``account`` is an id or address; ``folder`` a name as shown (INBOX, Sent, 已发送) or a
    special use ("sent"); ``search`` looks in subject, sender and snippet."""
    query = (
        select(MessageRow, AccountRow.email, FolderRow.name)
        .join(FolderRow, FolderRow.id == MessageRow.folder_id)
        .join(AccountRow, AccountRow.id == MessageRow.account_id)
    )
    if account is not None:
        text = str(account).strip()
        query = query.where(AccountRow.id == int(text) if text.isdigit() else AccountRow.email == text.lower())
    if folder:
        names = {folder, encode_mutf7(folder)}
        query = query.where(or_(FolderRow.name.in_(names), FolderRow.special_use == "\\" + folder.capitalize()))
    if search:
        pattern = f"%{_escape_like(search)}%"
        query = query.where(
            or_(
                MessageRow.subject.like(pattern, escape="\\"),
                MessageRow.from_name.like(pattern, escape="\\"),
                MessageRow.from_email.like(pattern, escape="\\"),
                MessageRow.snippet.like(pattern, escape="\\"),
            )
        )
    if unread:
        query = query.where(MessageRow.seen.is_(False))
    query = query.order_by(MessageRow.date.desc().nulls_last(), MessageRow.id.desc()).limit(limit).offset(offset)
    with store.session() as session:
        return [_item(row, email, name) for row, email, name in session.execute(query).all()]


def get_message(store: Store, message_id: int) -> MessageItem | None:
    with store.session() as session:
        found = session.execute(
            select(MessageRow, AccountRow.email, FolderRow.name)
            .join(FolderRow, FolderRow.id == MessageRow.folder_id)
            .join(AccountRow, AccountRow.id == MessageRow.account_id)
            .where(MessageRow.id == message_id)
        ).first()
        return None if found is None else _item(*found)
