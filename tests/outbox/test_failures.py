"""What the worker does with the server's refusals: 4xx retried with backoff, 5xx stops with a diagnosis."""

from __future__ import annotations

from outbox_support import FOREIGN, Events, OutboxHub, SmtpFaults

from mailhub.outbox import OutboxState, get_entry, list_entries, retry


async def test_temporary_refusals_are_retried_until_the_message_goes(hub: OutboxHub, smtp_faults: SmtpFaults) -> None:
    account_id, sender = await hub.bind("dave")
    smtp_faults.replies = ["451 4.3.0 Local error in processing, try again later", "421 4.4.5 HL:ICC too busy"]
    entry = hub.queue(account_id, sender, f"x@{FOREIGN}")

    report = await hub.worker(account_id).run_once()

    assert smtp_faults.refused == 2
    assert (report.sent, report.retried, report.failed) == (1, 2, 0)
    done = get_entry(hub.store, entry.id)
    assert done.state == OutboxState.SENT and done.attempts == 3
    assert [a.outcome for a in done.history] == ["retry", "retry", "sent"]
    assert done.history[0].reply.startswith("451") and done.history[1].reply.startswith("421")
    assert hub.running.sandbox.outbound.count_message_id(entry.message_id) == 1


async def test_a_permanent_refusal_stops_sending_with_a_diagnosis(hub: OutboxHub, smtp_faults: SmtpFaults) -> None:
    account_id, sender = await hub.bind("erin")
    smtp_faults.replies = ["554 Reject by behaviour spam at Rcpt Limit"]
    first = hub.queue(account_id, sender, f"a@{FOREIGN}")
    second = hub.queue(account_id, sender, f"b@{FOREIGN}")
    events = Events()

    report = await hub.worker(account_id, publish=events).run_once()

    assert report.stopped == "refused" and report.sent == 0
    assert report.diagnosis["code"] == "send_not_allowed"
    failed = get_entry(hub.store, first.id)
    assert failed.state == OutboxState.FAILED and failed.last_reply.startswith("554 Reject by behaviour spam")
    zh, en = failed.to_dict("zh")["diagnosis"], failed.to_dict("en")["diagnosis"]
    assert zh["title"] == "此账号不允许发信" and "spam" in en["explanation"]
    assert get_entry(hub.store, second.id).state == OutboxState.QUEUED  # not attempted after the stop
    assert ("outbox.failed", account_id) in [(k, a) for k, a, _ in events.seen]
    assert hub.running.sandbox.outbound.count() == 0

    retry(hub.store, first.id)  # the person fixed it with the provider and retries
    report = await hub.worker(account_id).run_once()
    assert report.sent == 2
    assert {e.state for e in list_entries(hub.store, account_id=account_id)} == {OutboxState.SENT}


async def test_an_unknown_recipient_fails_that_message_only(hub: OutboxHub) -> None:
    account_id, sender = await hub.bind("frank")
    colleague = hub.local_user("grace")
    missing = hub.queue(account_id, sender, f"nobody@{colleague.split('@')[1]}")
    fine = hub.queue(account_id, sender, colleague)

    report = await hub.worker(account_id).run_once()

    assert (report.sent, report.failed, report.stopped) == (1, 1, None)
    gone = get_entry(hub.store, missing.id)
    assert gone.state == OutboxState.FAILED and gone.history[-1].phase == "rcpt"
    assert gone.last_reply.startswith("550")
    assert get_entry(hub.store, fine.id).state == OutboxState.SENT


async def test_giving_up_after_the_last_attempt(hub: OutboxHub, smtp_faults: SmtpFaults) -> None:
    from dataclasses import replace

    from outbox_support import FAST

    account_id, sender = await hub.bind("heidi")
    smtp_faults.replies = ["451 try again later"] * 3
    entry = hub.queue(account_id, sender, f"x@{FOREIGN}")
    report = await hub.worker(account_id, options=replace(FAST, max_attempts=3)).run_once()
    assert (report.sent, report.retried, report.failed) == (0, 2, 1)
    assert get_entry(hub.store, entry.id).state == OutboxState.FAILED
