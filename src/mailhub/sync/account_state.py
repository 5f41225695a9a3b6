"""A sync worker's part in the account's status: 异常 with a diagnosis when the server refuses the login,
正常 again when a later login works (the password was fixed). Every change is kept in the history and
published as ``account.status``.

The account service has no public call for a worker to set a status, so this small module does it the same
way (``StatusChangeRow`` + ``accounts.status``) for exactly these two transitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailhub.accounts.diagnosis import diagnose_reply
from mailhub.accounts.models import diagnosis_json
from mailhub.accounts.status import AccountStatus
from mailhub.store import AccountRow, StatusChangeRow, Store
from mailhub.store.models import utcnow

Publish = Callable[[str, "int | None", dict[str, Any]], None]

LOGIN_REFUSED = "sync_login_refused"
RECOVERED = "sync_login_recovered"
# Their words in both languages live with every other reason, in ``accounts.status.REASONS``.


@dataclass(frozen=True, slots=True)
class AccountView:
    """What a worker needs of an account to connect: where, who, and whether it may run."""

    id: int
    email: str
    provider_id: str | None
    host: str
    port: int
    tls: str
    username: str
    status: str
    sync_days: int | None
    secret_stamp: str  # changes when the password is edited (the worker then retries at once)


def load_account(store: Store, account_id: int) -> AccountView | None:
    with store.session() as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            return None
        stamp = f"{row.secret.key_id}:{row.secret.nonce.hex()}" if row.secret is not None else ""
        return AccountView(
            row.id,
            row.email,
            row.provider_id,
            row.imap_host,
            row.imap_port,
            row.imap_tls,
            row.username,
            row.status,
            row.sync_days,
            stamp,
        )


def _change(store: Store, account_id: int, to: AccountStatus, reason: str, code: str | None, diagnosis: Any):
    with store.session() as session:
        row = session.get(AccountRow, account_id)
        if row is None or row.status == to.value or row.status == AccountStatus.PAUSED.value:
            return None
        before = row.status
        session.add(
            StatusChangeRow(
                account_id=row.id,
                from_status=before,
                to_status=to.value,
                reason=reason,
                diagnosis_code=code,
                at=utcnow(),
            )
        )
        row.status, row.status_reason, row.diagnosis_code, row.diagnosis = to.value, reason, code, diagnosis
        return before


def mark_login_refused(
    store: Store, account: AccountView, reply: str, *, publish: Publish | None, secret_forms: tuple[str, ...]
) -> str:
    """异常 with the diagnosis of the server's refusal; returns the diagnosis code."""
    diagnosis = diagnose_reply("imap", reply, provider_id=account.provider_id, phase="login")
    stored = diagnosis_json(diagnosis, secret_forms)
    before = _change(store, account.id, AccountStatus.ERROR, LOGIN_REFUSED, diagnosis.code, stored)
    if before is not None and publish is not None:
        data = {"from": before, "to": "error", "reason": LOGIN_REFUSED, "diagnosis_code": diagnosis.code}
        publish("account.status", account.id, data)
    return diagnosis.code


def mark_recovered(store: Store, account: AccountView, *, publish: Publish | None) -> None:
    """正常 again after a refused login, once a login works."""
    if account.status != AccountStatus.ERROR.value:
        return
    before = _change(store, account.id, AccountStatus.NORMAL, RECOVERED, None, None)
    if before is not None and publish is not None:
        publish(
            "account.status", account.id, {"from": before, "to": "normal", "reason": RECOVERED, "diagnosis_code": None}
        )
