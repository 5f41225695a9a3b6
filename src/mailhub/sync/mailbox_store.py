"""The sync engine's reads and writes of the mail tables: short units of work between network waits.

A batch of fetched messages goes in with one multi-row INSERT in one transaction, so a first sync of
20,000 messages is 40 commits, not 20,000.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from mailhub.store import Store
from mailhub.store.mail_models import FolderRow, MessageRow
from mailhub.store.models import utcnow
from mailhub.sync.folders import Folder


def folder_row(store: Store, account_id: int, folder: Folder) -> FolderRow:
    """The folder's row (created on first sight), detached: the cursors as last stored."""
    try:
        return _folder_row(store, account_id, folder)
    except IntegrityError:  # another syncer (``mailhub sync`` beside ``serve``) created it a moment ago
        return _folder_row(store, account_id, folder)


def _folder_row(store: Store, account_id: int, folder: Folder) -> FolderRow:
    with store.session() as session:
        row = session.scalar(select(FolderRow).where(FolderRow.account_id == account_id, FolderRow.name == folder.name))
        if row is None:
            row = FolderRow(account_id=account_id, name=folder.name, special_use=folder.special_use)
            session.add(row)
            session.flush()
        elif folder.special_use and row.special_use != folder.special_use:
            row.special_use = folder.special_use
        return row


def stored_flags(store: Store, folder_id: int, *, from_uid: int = 0) -> dict[int, str]:
    """UID → flags of the messages stored for the folder (those from ``from_uid`` on)."""
    query = select(MessageRow.uid, MessageRow.flags).where(MessageRow.folder_id == folder_id)
    if from_uid:
        query = query.where(MessageRow.uid >= from_uid)
    with store.session() as session:
        return {uid: flags for uid, flags in session.execute(query).all()}


def start_over(store: Store, folder_id: int, uidvalidity: int) -> int:
    """UIDVALIDITY changed: every stored UID is meaningless now; drop them and the cursors. Returns how many."""
    with store.session() as session:
        gone = session.execute(delete(MessageRow).where(MessageRow.folder_id == folder_id)).rowcount
        session.execute(
            update(FolderRow)
            .where(FolderRow.id == folder_id)
            .values(uidvalidity=uidvalidity, uidnext=None, highestmodseq=None, synced_at=None)
        )
        return gone or 0


def insert_messages(store: Store, rows: list[dict[str, Any]]) -> None:
    """One batch of new messages in one transaction. A UID another syncer of the same account stored first
    (``mailhub sync --once`` while ``serve`` runs) is kept as it is, not an error."""
    if rows:
        with store.session() as session:
            # Core, not the ORM's bulk path: the rows are plain dicts already, and the ORM's per-row
            # bookkeeping was a fifth of the cost of storing them (measured in bench/first_sync.py).
            session.connection().execute(_insert_new_only(session.get_bind().dialect.name), rows)


@lru_cache(maxsize=4)
def _insert_new_only(dialect: str) -> Any:
    table = MessageRow.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        return insert(table)
    return dialect_insert(table).on_conflict_do_nothing(index_elements=["folder_id", "uid"])


def set_flags(store: Store, folder_id: int, changes: dict[int, tuple[str, int | None]]) -> None:
    """New flags (and MODSEQ) for stored UIDs."""
    if not changes:
        return
    with store.session() as session:
        for uid, (flags, modseq) in changes.items():
            values: dict[str, Any] = {"flags": flags, "seen": "\\seen" in flags.lower().split()}
            if modseq is not None:
                values["modseq"] = modseq
            session.execute(
                update(MessageRow).where(MessageRow.folder_id == folder_id, MessageRow.uid == uid).values(**values)
            )


def remove_uids(store: Store, folder_id: int, uids: set[int]) -> None:
    """Messages the server no longer has (expunged or moved away)."""
    if not uids:
        return
    ordered = sorted(uids)
    with store.session() as session:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            session.execute(delete(MessageRow).where(MessageRow.folder_id == folder_id, MessageRow.uid.in_(chunk)))


def save_cursors(
    store: Store,
    folder_id: int,
    *,
    uidvalidity: int,
    uidnext: int | None,
    highestmodseq: int | None,
    at: datetime | None = None,
) -> None:
    with store.session() as session:
        session.execute(
            update(FolderRow)
            .where(FolderRow.id == folder_id)
            .values(uidvalidity=uidvalidity, uidnext=uidnext, highestmodseq=highestmodseq, synced_at=at or utcnow())
        )
