"""Wakes the IMAP sessions that have a mailbox selected when another session or a delivery changes it."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class MailboxWatch:
    """An ``asyncio.Event`` set whenever the watched mailbox changes; ``clear()`` it after catching up."""

    def __init__(self, notifier: ChangeNotifier, mailbox_id: int) -> None:
        self.mailbox_id = mailbox_id
        self.event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._notifier = notifier

    def wake(self) -> None:
        # Deliveries may come from another thread sharing the store (tests, bench loaders).
        self._loop.call_soon_threadsafe(self.event.set)

    def close(self) -> None:
        self._notifier.unwatch(self)


class ChangeNotifier:
    """In-process fan-out per mailbox id. Other processes' changes are found by polling the mailbox modseq."""

    def __init__(self) -> None:
        self._watches: defaultdict[int, set[MailboxWatch]] = defaultdict(set)

    def watch(self, mailbox_id: int) -> MailboxWatch:
        watch = MailboxWatch(self, mailbox_id)
        self._watches[mailbox_id].add(watch)
        return watch

    def unwatch(self, watch: MailboxWatch) -> None:
        watches = self._watches.get(watch.mailbox_id)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del self._watches[watch.mailbox_id]

    def changed(self, mailbox_id: int) -> None:
        for watch in list(self._watches.get(mailbox_id, ())):
            try:
                watch.wake()
            except RuntimeError:  # its loop is closed: the session is gone
                self.unwatch(watch)
