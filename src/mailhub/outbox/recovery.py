"""Settling what a crash left behind, and keeping copies in Sent.

A message left ``sending`` either never reached the end of DATA (``data_end_at`` unset: the server cannot
have accepted it, so it is queued again) or may have (``data_end_at`` set): then Sent decides. Found there →
sent. Not found, at a provider that files sent mail itself → it was not accepted → queued again. Not found
where the copy is ours to make → the server had the whole message; it is counted as sent and its copy
made now, rather than risk sending it twice. If Sent cannot be reached, the message stays ``sending`` and
is checked on the next run.
"""

from __future__ import annotations

import asyncio
import logging

from mailhub.catalog.model import ServerSettings
from mailhub.outbox import ledger
from mailhub.outbox.entries import OutboxState, Publish
from mailhub.outbox.sent_folder import SentFolder, files_sent_itself
from mailhub.store import Store
from mailhub.transport.errors import TransportFailure

log = logging.getLogger("mailhub.outbox")

APPEND_BATCH = 50  # Sent copies appended per round trip (LITERAL+), so IMAP keeps up with SMTP


class SentCopies:
    """A lazily opened Sent folder, and a queue of sent messages to copy there in the background, so the
    SMTP side never waits for IMAP. One IMAP connection serves both the lookups and the copies, one command
    at a time (``_turn``): a lookup while a batch of copies is on its way waits for it."""

    def __init__(self, store: Store, server: ServerSettings, username: str, password: str, timeout: float) -> None:
        self._store = store
        self._server = server
        self._username = username
        self._password = password
        self._timeout = timeout
        self._folder: SentFolder | None = None
        self._queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._turn = asyncio.Lock()
        self.failed = 0

    def __repr__(self) -> str:
        return f"SentCopies(host={self._server.host!r}, waiting={self._queue.qsize()})"

    async def folder(self) -> SentFolder:
        if self._folder is None:
            self._folder = await SentFolder.open(self._server, self._username, self._password, timeout=self._timeout)
        return self._folder

    async def contains(self, message_id: str) -> bool:
        async with self._turn:
            return await (await self.folder()).contains(message_id)

    def add(self, outbox_id: int, raw: bytes) -> None:
        """Copy this sent message to Sent soon."""
        self._queue.put_nowait((outbox_id, raw))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._append_all(), name="outbox-sent-copies")

    async def _append_all(self) -> None:
        while not self._queue.empty():
            batch = [self._queue.get_nowait() for _ in range(min(APPEND_BATCH, self._queue.qsize()))]
            try:
                async with self._turn:
                    await (await self.folder()).append_many([raw for _, raw in batch])
            except (TransportFailure, OSError, TimeoutError) as exc:
                # Left "pending": the next run looks for them in Sent and appends what is missing.
                self.failed += len(batch)
                log.warning("sent copies of %d message(s) not appended: %s", len(batch), exc)
                async with self._turn:
                    await self._reset()
                continue
            ledger.set_sent_copy(self._store, [outbox_id for outbox_id, _ in batch], "appended")

    async def drain(self) -> None:
        """Wait until every queued copy is appended (or given up for this run)."""
        if self._task is not None:
            await self._task

    async def _reset(self) -> None:
        if self._folder is not None:
            folder, self._folder = self._folder, None
            await folder.close()

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self._reset()


def _verdict(found_in_sent: bool | None, provider_files_sent: bool) -> tuple[OutboxState, str, str]:
    """What a message left ``sending`` became: ``found_in_sent`` is ``None`` when it never reached the end
    of DATA (no need to look)."""
    if found_in_sent is None:
        return OutboxState.QUEUED, "requeued", "interrupted before the end of DATA: the server cannot have it"
    if found_in_sent:
        return OutboxState.SENT, "found_in_sent", "found in Sent by its Message-ID"
    if provider_files_sent:
        return OutboxState.QUEUED, "requeued", "not in Sent, where this provider files every message it accepts"
    return OutboxState.SENT, "assumed_sent", "the whole message had reached the server: not resent; Sent copy made"


async def recover(
    store: Store,
    account_id: int,
    provider_id: str | None,
    copies: SentCopies,
    publish: Publish,
    *,
    ids: list[int] | None = None,
) -> int:
    """Settle this account's messages left ``sending`` (only ``ids`` when given) and its missing Sent
    copies; returns how many messages were settled."""
    sending, copy_pending = ledger.unsettled(store, account_id, ids)
    settled = 0
    for item in sending:
        event = {"outbox_id": item.id, "message_id": item.message_id}
        if item.data_end_at is None:
            found: bool | None = None
        else:
            try:
                found = await copies.contains(item.message_id)
            except (TransportFailure, OSError, TimeoutError) as exc:
                log.warning("outbox %s: fate unknown and Sent unreachable (%s); checking again later", item.id, exc)
                continue
        state, outcome, reason = _verdict(found, files_sent_itself(provider_id))
        copy = {"found_in_sent": "found", "assumed_sent": "pending"}.get(outcome)
        ledger.settle(store, item.id, state=state, outcome=outcome, reason=reason, sent_copy=copy)
        publish(
            "outbox.sent" if state == OutboxState.SENT else "outbox.queued", account_id, {**event, "recovered": True}
        )
        if copy == "pending":
            copies.add(item.id, item.raw)
        settled += 1
    for item in copy_pending:
        try:
            present = await copies.contains(item.message_id)
        except (TransportFailure, OSError, TimeoutError):
            continue
        if present:
            ledger.set_sent_copy(store, [item.id], "found")
        else:
            copies.add(item.id, item.raw)
    return settled
