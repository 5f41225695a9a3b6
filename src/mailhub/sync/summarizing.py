"""Fetched messages to store rows: the list-view summary of each, made inline or in worker processes.

Summaries are the CPU-heavy part of a first sync (a few hundred microseconds a message); with a
``SummaryPool`` batch N is summarized in another process while batch N+1 downloads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from mailhub.sync.fetch_reader import FetchedMessage
from mailhub.sync.summary import summarize

UNREADABLE = "unreadable"  # first problem of a row whose summary failed outright


def _internaldate(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


def stored_flags_text(flags: tuple[str, ...] | None) -> str:
    """Flags as stored; ``\\Recent`` belongs to one session, not to the message, so it is left out."""
    return " ".join(flag for flag in flags or () if flag.lower() != "\\recent")


def message_row(account_id: int, folder_id: int, message: FetchedMessage) -> dict[str, Any]:
    """The row for one fetched message; a message that cannot be read gets a row that says so."""
    summary = summarize(
        message.header if message.header not in (None, b"NIL") else b"",
        message.text,
        size=message.size,
        bodystructure=message.bodystructure,
    )
    when = summary.date.astimezone(UTC) if summary.date is not None else _internaldate(message.internaldate)
    sender = summary.from_
    flags = stored_flags_text(message.flags)
    return {
        "account_id": account_id,
        "folder_id": folder_id,
        "uid": message.uid,
        "message_id": (summary.message_id or None) and summary.message_id[:998],
        "subject": summary.subject,
        "from_name": sender.name[:500] if sender else "",
        "from_email": sender.email[:320] if sender else "",
        "to_addrs": [[a.name, a.email] for a in summary.to[:100]],
        "cc_addrs": [[a.name, a.email] for a in summary.cc[:100]],
        "date": when,
        "flags": flags[:500],
        "seen": "\\seen" in flags.lower().split(),
        "size": message.size,
        "has_attachments": summary.has_attachments,
        "attachment_names": summary.attachment_names[:50],
        "snippet": summary.snippet,
        "bodystructure": message.bodystructure.decode("utf-8", "replace") if message.bodystructure else None,
        "modseq": message.modseq,
        "problems": summary.problems,
        "synced_at": datetime.now(UTC),
    }


def unreadable_row(account_id: int, folder_id: int, uid: int, problem: str) -> dict[str, Any]:
    """A placeholder for a message the server would not give or we could not split: kept, never retried
    forever, and visible with its problem."""
    message = FetchedMessage(seq=0, uid=uid)
    row = message_row(account_id, folder_id, message)
    row["problems"] = [problem]
    return row


def rows_for(account_id: int, folder_id: int, messages: list[FetchedMessage]) -> list[dict[str, Any]]:
    """Rows for a batch; a message whose summary fails gets a row that says so (the rest go on)."""
    rows: list[dict[str, Any]] = []
    for message in messages:
        try:
            rows.append(message_row(account_id, folder_id, message))
        except Exception as exc:  # one bad message is recorded and skipped, never the end of a sync
            assert message.uid is not None
            row = unreadable_row(account_id, folder_id, message.uid, UNREADABLE)
            row["problems"] = [UNREADABLE, repr(exc)[:200]]
            rows.append(row)
    return rows


async def summarize_inline(account_id: int, folder_id: int, messages: list[FetchedMessage]) -> list[dict[str, Any]]:
    """Summaries in this process (the default: a long-running worker's batches are small)."""
    return rows_for(account_id, folder_id, messages)


class SummaryPool:
    """Summaries in worker processes, for first syncs of big mailboxes. Call ``close`` when done."""

    def __init__(self, workers: int = 1) -> None:
        # spawn, not fork: the parent has an event loop and maybe threads that a fork would copy mid-flight
        context = multiprocessing.get_context("spawn")
        self._executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def __repr__(self) -> str:
        return "SummaryPool()"

    async def __call__(self, account_id: int, folder_id: int, messages: list[FetchedMessage]) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, rows_for, account_id, folder_id, messages)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
