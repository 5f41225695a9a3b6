"""Bringing one folder up to date: new messages in batches, flag changes, expunges, UIDVALIDITY resets.

The server is the truth and UIDs are the key. New messages are the UIDs the server has and the store has
not (so a sync cut off half-way resumes without duplicates); flags come by CONDSTORE's CHANGEDSINCE when
offered, else by one ``UID FETCH lo:hi (FLAGS)``; expunges are the stored UIDs the server no longer lists.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mailhub.store import Store
from mailhub.sync import mailbox_store
from mailhub.sync.fetch_reader import FetchedMessage
from mailhub.sync.folders import Folder
from mailhub.sync.imap_session import ImapCommandFailed, ImapSession, uid_set
from mailhub.sync.summarizing import UNREADABLE, stored_flags_text, summarize_inline, unreadable_row

log = logging.getLogger("mailhub.sync")

# What a list view needs. 2 KB of the text is enough for a snippet (the summary reads at most 64 KB);
# measured in bench/first_sync.py, the header + 2 KB is a fifth of the bytes of whole messages.
LIST_ITEMS = "(UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.2048>)"
LIST_ITEMS_MODSEQ = LIST_ITEMS[:-1] + " MODSEQ)"
_UID_IN = re.compile(rb"UID (\d+)", re.IGNORECASE)

Progress = Callable[[str, int, int], None]
Summarize = Callable[[int, int, list[FetchedMessage]], Awaitable[list[dict[str, Any]]]]


@dataclass(slots=True)
class FolderChanges:
    """What one pass over a folder found."""

    folder: str
    new_uids: list[int] = field(default_factory=list)
    flag_changes: list[int] = field(default_factory=list)
    expunged: list[int] = field(default_factory=list)
    reset: bool = False  # UIDVALIDITY changed: the folder was synced again from scratch
    skipped: int = 0  # messages recorded with a problem instead of a summary


async def sync_folder(
    session: ImapSession,
    store: Store,
    account_id: int,
    folder: Folder,
    *,
    since: date | None,
    batch_size: int = 500,
    condstore: bool = False,
    progress: Progress | None = None,
    summarize: Summarize = summarize_inline,
) -> FolderChanges:
    """Bring ``folder`` in the store up to the server's state; returns what changed. ``summarize`` turns a
    fetched batch into rows (inline, or in worker processes with ``SummaryPool``)."""
    selected = await session.select(folder.name, condstore=condstore)
    row = mailbox_store.folder_row(store, account_id, folder)
    changes = FolderChanges(folder.name)
    first = row.uidnext is None
    if row.uidvalidity is not None and row.uidvalidity != selected.uidvalidity:
        gone = mailbox_store.start_over(store, row.id, selected.uidvalidity)
        log.info("account %s folder %s: UIDVALIDITY changed, %d messages dropped", account_id, folder.name, gone)
        changes.reset, first = True, True
        row.highestmodseq = None
    stored = mailbox_store.stored_flags(store, row.id)
    on_server = set(await session.uid_search("ALL"))
    changes.expunged = sorted(stored.keys() - on_server)
    if changes.expunged and len(on_server) < selected.exists:
        # Fewer UIDs than SELECT just counted: the server's view is inconsistent (seen in the sandbox after
        # another session's STORE). Deleting on its word could drop mail for good; wait for a sane pass.
        log.warning(
            "account %s folder %s: SEARCH found %d of %d messages; expunges not applied this pass",
            account_id,
            folder.name,
            len(on_server),
            selected.exists,
        )
        changes.expunged = []
    mailbox_store.remove_uids(store, row.id, set(changes.expunged))
    for uid in changes.expunged:
        del stored[uid]
    if first and since is not None:
        wanted = set(await session.uid_search(f"SINCE {since.strftime('%d-%b-%Y')}"))
    elif first:
        wanted = on_server
    else:
        wanted = {uid for uid in on_server if uid >= (row.uidnext or 1)}
    if stored and not first:
        changes.flag_changes = await _flag_changes(
            session, store, row.id, stored, row.highestmodseq, selected.highestmodseq
        )
    missing = sorted(wanted - stored.keys(), reverse=True)  # newest first: what a person looks at first
    await _fetch_new(session, store, account_id, row.id, missing, changes, batch_size, condstore, summarize, progress)
    # SELECT's UIDNEXT may predate mail that arrived before the SEARCH (and was fetched): take the larger.
    uidnext = max(selected.uidnext or 1, max(on_server) + 1 if on_server else 1)
    mailbox_store.save_cursors(
        store, row.id, uidvalidity=selected.uidvalidity, uidnext=uidnext, highestmodseq=selected.highestmodseq
    )
    return changes


async def fetch_arrivals(
    session: ImapSession,
    store: Store,
    account_id: int,
    folder: Folder,
    *,
    condstore: bool = False,
    summarize: Summarize = summarize_inline,
) -> FolderChanges:
    """New mail in the selected ``folder`` after IDLE said EXISTS: only UIDs from the stored UIDNEXT on.
    No SELECT, no full UID list, no flag scan: those wait for the next full pass."""
    row = mailbox_store.folder_row(store, account_id, folder)
    if row.uidnext is None or row.uidvalidity is None:
        return await sync_folder(
            session, store, account_id, folder, since=None, condstore=condstore, summarize=summarize
        )
    changes = FolderChanges(folder.name)
    known = mailbox_store.stored_flags(store, row.id, from_uid=row.uidnext)
    found = [uid for uid in await session.uid_search(f"UID {row.uidnext}:*") if uid >= row.uidnext and uid not in known]
    if found:
        await _fetch_new(session, store, account_id, row.id, sorted(found), changes, 500, condstore, summarize, None)
        mailbox_store.save_cursors(
            store, row.id, uidvalidity=row.uidvalidity, uidnext=max(found) + 1, highestmodseq=row.highestmodseq
        )
    return changes


async def _fetch_new(
    session: ImapSession,
    store: Store,
    account_id: int,
    folder_id: int,
    missing: list[int],
    changes: FolderChanges,
    batch_size: int,
    condstore: bool,
    summarize: Summarize,
    progress: Progress | None,
) -> None:
    """Fetch ``missing`` in batches; batch N is summarized while batch N+1 downloads, then stored in one
    transaction. A batch fully fetched before the connection broke is still stored."""
    pending: tuple[asyncio.Future[list[dict[str, Any]]], list[dict[str, Any]], list[int]] | None = None

    async def store_pending() -> None:
        nonlocal pending
        if pending is None:
            return
        task, placeholders, batch = pending
        pending = None
        rows = await task
        mailbox_store.insert_messages(store, rows + placeholders)
        changes.skipped += len(placeholders) + sum(1 for r in rows if r["problems"][:1] == [UNREADABLE])
        changes.new_uids.extend(batch)
        if progress is not None:
            progress(changes.folder, len(changes.new_uids), len(missing))

    try:
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            fetched, placeholders = await _fetch_batch(session, account_id, folder_id, batch, condstore)
            task = asyncio.ensure_future(summarize(account_id, folder_id, fetched))
            await store_pending()
            pending = (task, placeholders, batch)
    except Exception:
        if pending is not None and not pending[0].done():
            pending[0].cancel()
        elif pending is not None:
            await store_pending()
        raise
    await store_pending()


async def _fetch_batch(
    session: ImapSession, account_id: int, folder_id: int, batch: list[int], condstore: bool
) -> tuple[list[FetchedMessage], list[dict[str, Any]]]:
    """One batch from the server: the fetched messages, and placeholder rows for those that did not come."""
    fetched: dict[int, FetchedMessage] = {}
    wanted = set(batch)

    def keep(message: FetchedMessage) -> None:
        if message.uid is not None and message.uid in wanted:
            fetched[message.uid] = message

    problem = "the server did not return this message"
    try:
        unreadable = await session.uid_fetch(
            uid_set(batch), LIST_ITEMS_MODSEQ if condstore else LIST_ITEMS, on_message=keep
        )
    except ImapCommandFailed as exc:  # e.g. Dovecot's "NO Some messages could not be FETCHed"
        unreadable, problem = [], f"the server refused to fetch it: {exc.reply}"[:300]
    placeholders: dict[int, dict[str, Any]] = {}
    for raw in unreadable:
        if (match := _UID_IN.search(raw[:2000])) is not None and int(match.group(1)) in wanted:
            uid = int(match.group(1))
            if uid not in fetched:
                placeholders[uid] = unreadable_row(account_id, folder_id, uid, "unreadable FETCH response")
    for uid in batch:
        if uid not in fetched and uid not in placeholders:
            placeholders[uid] = unreadable_row(account_id, folder_id, uid, problem)
    return list(fetched.values()), list(placeholders.values())


async def _flag_changes(
    session: ImapSession,
    store: Store,
    folder_id: int,
    stored: dict[int, str],
    known_modseq: int | None,
    server_modseq: int | None,
) -> list[int]:
    """Flags changed on the server since the last pass, written to the store; returns their UIDs."""
    seen: dict[int, tuple[str, int | None]] = {}

    def keep(message: FetchedMessage) -> None:
        if message.uid is not None and message.uid in stored and message.flags is not None:
            flags = stored_flags_text(message.flags)
            if flags != stored[message.uid]:
                seen[message.uid] = (flags, message.modseq)

    if known_modseq is not None and server_modseq is not None:
        if known_modseq == server_modseq:
            return []
        await session.uid_fetch("1:*", "(UID FLAGS)", modifiers=f"CHANGEDSINCE {known_modseq}", on_message=keep)
    else:
        await session.uid_fetch(f"{min(stored)}:{max(stored)}", "(UID FLAGS)", on_message=keep)
    mailbox_store.set_flags(store, folder_id, seen)
    return sorted(seen)
