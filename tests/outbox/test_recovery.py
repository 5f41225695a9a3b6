"""After a crash: a message left ``sending`` is settled by what the server can tell, never resent blind.

The crash is real as far as the outbox can tell: the worker dies (an exception nobody catches) at the exact
step named, leaving the store as a killed process would; a new worker then runs.
"""

from __future__ import annotations

import pytest
from outbox_support import FOREIGN, OutboxHub
from sqlalchemy import update

from mailhub.outbox import OutboxState, get_entry, ledger
from mailhub.store import AccountRow
from mailhub.store.outbox_models import OutboxMessageRow


class Crash(BaseException):
    """Stands for kill -9: nothing in the worker catches it."""


def crash_at(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def die(*_args: object, **_kwargs: object) -> None:
        raise Crash(name)

    monkeypatch.setattr(ledger, name, die)


async def _crash_once(hub: OutboxHub, monkeypatch: pytest.MonkeyPatch, account_id: int, step: str) -> None:
    with monkeypatch.context() as patch:
        crash_at(patch, step)
        with pytest.raises(Crash):
            await hub.worker(account_id).run_once()


async def test_a_crash_before_the_end_of_data_sends_again_once(hub: OutboxHub, monkeypatch) -> None:
    account_id, sender = await hub.bind("mia")
    entry = hub.queue(account_id, sender, f"x@{FOREIGN}")
    await _crash_once(hub, monkeypatch, account_id, "mark_data_end")  # dies after DATA's body, before the "."
    assert get_entry(hub.store, entry.id).state == OutboxState.SENDING
    assert hub.running.sandbox.outbound.count() == 0  # the server dropped the unfinished transaction

    report = await hub.worker(account_id).run_once()

    assert (report.recovered, report.sent) == (1, 1)
    done = get_entry(hub.store, entry.id)
    assert [a.outcome for a in done.history] == ["interrupted", "requeued", "sent"]
    assert hub.running.sandbox.outbound.count_message_id(entry.message_id) == 1


async def test_a_crash_after_the_server_accepted_is_not_resent(hub: OutboxHub, monkeypatch) -> None:
    account_id, sender = await hub.bind("nina")
    entry = hub.queue(account_id, sender, f"x@{FOREIGN}")
    await _crash_once(hub, monkeypatch, account_id, "mark_sent")  # 250 received, never recorded
    assert get_entry(hub.store, entry.id).state == OutboxState.SENDING
    assert hub.running.sandbox.outbound.count_message_id(entry.message_id) == 1

    report = await hub.worker(account_id).run_once()

    assert (report.recovered, report.sent) == (1, 0)
    done = get_entry(hub.store, entry.id)
    assert done.state == OutboxState.SENT and done.history[-1].outcome == "assumed_sent"
    assert hub.running.sandbox.outbound.count_message_id(entry.message_id) == 1
    assert [m["Message-ID"] for m in hub.mailbox(sender, "Sent")] == [entry.message_id]  # copy made now


async def test_a_message_found_in_sent_is_settled_as_sent(hub: OutboxHub, monkeypatch) -> None:
    account_id, sender = await hub.bind("olga")
    entry = hub.queue(account_id, sender, f"x@{FOREIGN}")
    await _crash_once(hub, monkeypatch, account_id, "mark_sent")
    hub.running.sandbox.mail.deliver(sender, get_raw(hub, entry.id), "Sent", ["\\Seen"])  # filed by the provider

    report = await hub.worker(account_id).run_once()

    done = get_entry(hub.store, entry.id)
    assert done.state == OutboxState.SENT and done.sent_copy == "found"
    assert done.history[-1].outcome == "found_in_sent" and report.sent == 0
    assert len(hub.mailbox(sender, "Sent")) == 1  # no second copy
    assert hub.running.sandbox.outbound.count_message_id(entry.message_id) == 1


async def test_where_the_provider_files_sent_mail_not_found_means_not_sent(hub: OutboxHub, monkeypatch) -> None:
    account_id, sender = await hub.bind("pia")
    with hub.store.session() as session:  # pretend this mailbox is at a provider that files Sent itself
        session.execute(update(AccountRow).where(AccountRow.id == account_id).values(provider_id="qq"))
    entry = hub.queue(account_id, sender, f"x@{FOREIGN}")
    with hub.store.session() as session:  # as left by a crash after the "." that the server never took
        session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id == entry.id)
            .values(state="sending", attempts=1, data_end_at=OutboxMessageRow.created_at)
        )

    report = await hub.worker(account_id).run_once()

    done = get_entry(hub.store, entry.id)
    assert (report.recovered, report.sent) == (1, 1)
    assert [a.outcome for a in done.history] == ["requeued", "sent"] and done.sent_copy == "provider"
    assert hub.mailbox(sender, "Sent") == []  # the provider's job, not ours


def get_raw(hub: OutboxHub, outbox_id: int) -> bytes:
    with hub.store.session() as session:
        return session.get_one(OutboxMessageRow, outbox_id).raw


async def test_a_lost_outcome_among_many_connections_stops_the_run(hub: OutboxHub, monkeypatch) -> None:
    """An outcome is not waited for (it rides in the next transaction): if that commit fails, the run still
    fails with it, and the next run settles every message exactly once."""
    from mailhub.outbox import list_entries

    account_id, sender = await hub.bind("petra")
    entries = [hub.queue(account_id, sender, f"r{i}@{FOREIGN}") for i in range(20)]
    await _crash_once(hub, monkeypatch, account_id, "mark_sent")  # the first 250 is never recorded

    report = await hub.worker(account_id).run_once()

    assert report.recovered >= 1
    assert {e.state for e in list_entries(hub.store, account_id=account_id)} == {OutboxState.SENT}
    outbound = hub.running.sandbox.outbound
    assert outbound.count() == 20 and all(outbound.count_message_id(e.message_id) == 1 for e in entries)


async def test_many_unknown_fates_are_looked_up_while_their_copies_are_appended(hub: OutboxHub) -> None:
    """A kill with four connections leaves several messages past the end of DATA. Recovery looks each one up
    in Sent while the copies of those already settled are appended on the same IMAP connection."""
    account_id, sender = await hub.bind("quinn")
    entries = [hub.queue(account_id, sender, f"u{i}@{FOREIGN}") for i in range(12)]
    ids = [e.id for e in entries]
    claimed = ledger.claim(hub.store, account_id, ids)  # as the killed run left them: claimed, DATA ended
    assert isinstance(claimed, list) and len(claimed) == 12
    with hub.store.engine.begin() as connection:
        for outbox_id in ids:
            ledger.mark_data_end(connection, outbox_id)

    report = await hub.worker(account_id).run_once()

    assert report.recovered == 12
    settled = [get_entry(hub.store, i) for i in ids]
    assert {e.state for e in settled} == {OutboxState.SENT}
    assert {e.sent_copy for e in settled} == {"appended"}
    assert len(hub.mailbox(sender, "Sent")) == 12
