"""Per-account numbers for the accounts table: last sync, sent in the last 24 hours, the daily quota.

Read from the sync engine's folders (``synced_at``) and the outbox (``sent_today``, ``limit_for``); an account
nothing has been synced for shows "—".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from mailhub.outbox.limits import limit_for, sent_today
from mailhub.store import Store
from mailhub.store.mail_models import FolderRow


@dataclass(frozen=True, slots=True)
class AccountNumbers:
    last_sync: datetime | None = None
    sent_today: int | None = None
    quota: int | None = None


def account_numbers(store: Store, account_ids: list[int]) -> dict[int, AccountNumbers]:
    """What is known for each account."""
    if not account_ids:
        return {}
    with store.session() as session:
        query = (
            select(FolderRow.account_id, func.max(FolderRow.synced_at))
            .where(FolderRow.account_id.in_(account_ids))
            .group_by(FolderRow.account_id)
        )
        synced = {account_id: at for account_id, at in session.execute(query)}
    return {
        account_id: AccountNumbers(
            last_sync=synced.get(account_id),
            sent_today=sent_today(store, account_id),
            quota=limit_for(store, account_id).per_day,
        )
        for account_id in account_ids
    }
