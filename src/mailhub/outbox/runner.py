"""Running the outbox without the supervisor (``mailhub outbox run``): one worker per account with mail
waiting, all on one event loop; ``once`` sends what is due and returns, otherwise it keeps polling.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import or_, select

from mailhub.accounts.vault import Vault
from mailhub.outbox import queue
from mailhub.outbox.entries import OutboxState, Publish, no_publish
from mailhub.outbox.worker import OutboxWorker, WorkerOptions, WorkerReport
from mailhub.store import Store
from mailhub.store.outbox_models import OutboxMessageRow

POLL_SECONDS = 1.0


def accounts_with_mail(store: Store) -> list[int]:
    """Accounts that have mail to send, to settle or to copy to Sent."""
    with store.session() as session:
        ids = session.scalars(
            select(OutboxMessageRow.account_id)
            .where(
                OutboxMessageRow.account_id.is_not(None),
                or_(
                    OutboxMessageRow.state.in_(
                        [OutboxState.QUEUED.value, OutboxState.HELD.value, OutboxState.SENDING.value]
                    ),
                    OutboxMessageRow.sent_copy == "pending",
                ),
            )
            .distinct()
        )
        return sorted(i for i in ids if i is not None)


async def run_outbox(
    store: Store,
    vault: Vault,
    *,
    once: bool = True,
    publish: Publish = no_publish,
    options: WorkerOptions | None = None,
    stop: asyncio.Event | None = None,
) -> list[WorkerReport]:
    """Send every account's due mail; with ``once=False`` keep going until ``stop`` is set."""
    reports: list[WorkerReport] = []
    while True:
        queue.cancel_orphans(store)
        workers = [OutboxWorker(store, vault, a, publish=publish, options=options) for a in accounts_with_mail(store)]
        reports = list(await asyncio.gather(*(w.run_once() for w in workers)))
        if once or (stop is not None and stop.is_set()):
            return reports
        try:
            await asyncio.wait_for((stop or asyncio.Event()).wait(), POLL_SECONDS)
            return reports
        except TimeoutError:
            continue
