"""Webhooks against real HTTP servers on loopback: signed, retried on a schedule, one queue per endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from mailhub.accounts.vault import load_vault
from mailhub.runtime.events import EventLog
from mailhub.runtime.webhook_queues import WebhookDispatcher
from mailhub.runtime.webhooks import WebhookError, Webhooks, signature_ok
from mailhub.settings import load_settings
from mailhub.store import open_store
from mailhub.store.event_models import WebhookEndpointRow

FAST = (0.05, 0.1, 0.2)  # the retry schedule in these tests (seconds before retry 1, 2, 3)


@pytest.fixture
def parts(hub_home):
    store = open_store()
    vault = load_vault(load_settings().data_dir(), None)
    yield store, vault, EventLog(store), Webhooks(store, vault)
    store.close()


@contextlib.asynccontextmanager
async def dispatching(webhooks: Webhooks, log: EventLog, **options):
    dispatcher = WebhookDispatcher(webhooks, log, **{"schedule": FAST, "poll": 0.1, **options})
    task = asyncio.create_task(dispatcher.run_forever())
    try:
        yield dispatcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_an_event_arrives_signed_with_hmac_sha256_over_the_raw_body(parts, receivers) -> None:
    _store, _vault, log, webhooks = parts
    receiver = receivers()
    endpoint, secret = webhooks.add(receiver.url)
    async with dispatching(webhooks, log):
        event = log.publish("account.status", 4, {"from": "normal", "to": "paused", "reason": "paused"})
        (got,) = await receiver.wait_for(lambda r: len(r) == 1)
        await asyncio.wait_for(_until(lambda: webhooks.get(endpoint.id).last_event_id == event.id), 10)

    expected = "sha256=" + hmac.new(secret.reveal().encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-mailhub-signature"] == expected
    assert signature_ok(secret.reveal(), got.body, got.headers["x-mailhub-signature"])
    assert not signature_ok("another-secret", got.body, got.headers["x-mailhub-signature"])
    assert not signature_ok(secret.reveal(), got.body + b" ", got.headers["x-mailhub-signature"])
    body = got.json()
    assert body["id"] == event.id and body["kind"] == "account.status" and body["account_id"] == 4
    assert body["data"]["to"] == "paused"
    assert str(body["timestamp"]) == got.headers["x-mailhub-timestamp"]  # the timestamp is signed too
    assert got.headers["x-mailhub-event"] == "account.status"
    assert got.headers["x-mailhub-delivery"] == str(event.id)
    assert got.headers["content-type"] == "application/json"
    assert [(a.attempt, a.ok, a.status_code, a.outcome) for a in webhooks.attempts(endpoint.id)] == [
        (1, True, 200, "delivered")
    ]


async def test_the_secret_is_sealed_and_never_shown(parts, receivers) -> None:
    store, _vault, _log, webhooks = parts
    endpoint, secret = webhooks.add(receivers().url, secret="my-shared-secret-123")
    with store.session() as session:
        row = session.get(WebhookEndpointRow, endpoint.id)
        assert b"my-shared-secret-123" not in row.secret_ciphertext
        assert "my-shared-secret-123" not in repr(row)
    assert "my-shared-secret-123" not in repr(secret) + str(endpoint) + json.dumps(endpoint.to_dict())
    assert webhooks.secret(endpoint.id).reveal() == "my-shared-secret-123"


async def test_a_slow_endpoint_delays_nobody_else(parts, receivers) -> None:
    _store, _vault, log, webhooks = parts
    slow = receivers(hold=True)  # answers only when released
    fast = receivers()
    webhooks.add(slow.url)
    webhooks.add(fast.url)
    async with dispatching(webhooks, log, timeout=60):
        ids = [log.publish("mail.new", 1, {"n": n}).id for n in range(5)]
        got = await fast.wait_for(lambda r: len(r) == 5)
        # All five reached the fast endpoint while the slow one still holds its first request.
        assert [r.json()["id"] for r in got] == ids
        assert len(slow.requests) == 1
        slow.release.set()
        got_slow = await slow.wait_for(lambda r: len(r) == 5)
        assert [r.json()["id"] for r in got_slow] == ids  # in order, none lost


async def test_failed_deliveries_are_retried_with_backoff_then_delivered(parts, receivers) -> None:
    _store, _vault, log, webhooks = parts
    receiver = receivers(fail_first=2)
    endpoint, _secret = webhooks.add(receiver.url)
    async with dispatching(webhooks, log):
        event = log.publish("outbox.failed", 2, {"outbox_id": 9})
        got = await receiver.wait_for(lambda r: len(r) == 3)
        await asyncio.wait_for(_until(lambda: len(webhooks.attempts(endpoint.id)) == 3), 10)
    assert {r.headers["x-mailhub-delivery"] for r in got} == {str(event.id)}  # the same delivery each time
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(got)]
    assert gaps[0] >= FAST[0] and gaps[1] >= FAST[1]  # waited at least the schedule between attempts
    attempts = webhooks.attempts(endpoint.id)
    assert [(a.attempt, a.status_code, a.outcome) for a in attempts] == [
        (1, 500, "retry"),
        (2, 500, "retry"),
        (3, 200, "delivered"),
    ]


async def test_an_event_is_given_up_after_the_schedule_and_the_queue_moves_on(parts, receivers) -> None:
    _store, _vault, log, webhooks = parts
    receiver = receivers(fail_first=4)  # 1 try + 3 retries all fail
    endpoint, _secret = webhooks.add(receiver.url)
    async with dispatching(webhooks, log):
        doomed = log.publish("mail.new", 1, {"n": 1})
        after = log.publish("mail.new", 1, {"n": 2})
        got = await receiver.wait_for(lambda r: len(r) == 5)
        await asyncio.wait_for(_until(lambda: len(webhooks.attempts(endpoint.id)) == 5), 10)
    assert [r.json()["id"] for r in got] == [doomed.id] * 4 + [after.id]
    outcomes = [(a.event_id, a.outcome) for a in webhooks.attempts(endpoint.id)]
    assert outcomes[:4] == [(doomed.id, "retry")] * 3 + [(doomed.id, "gave_up")]
    assert outcomes[4] == (after.id, "delivered")


async def test_an_endpoint_gets_only_the_kinds_it_asked_for_and_starts_from_now(parts, receivers) -> None:
    _store, _vault, log, webhooks = parts
    log.publish("account.status", 1, {"before": "the endpoint existed"})
    receiver = receivers()
    webhooks.add(receiver.url, events=("account.*", "outbox.sent"))
    async with dispatching(webhooks, log):
        log.publish("mail.new", 1, {})
        log.publish("account.deleted", 1, {})
        log.publish("sync.progress", 1, {})
        log.publish("outbox.sent", 1, {})
        got = await receiver.wait_for(lambda r: len(r) == 2)
        marker = log.publish("account.status", 1, {"last": True})
        got = await receiver.wait_for(lambda r: len(r) == 3)
    assert [r.json()["kind"] for r in got] == ["account.deleted", "outbox.sent", "account.status"]
    assert got[-1].json()["id"] == marker.id


async def test_a_deleted_endpoint_stops_receiving(parts, receivers) -> None:
    _store, _vault, log, webhooks = parts
    gone, kept = receivers(), receivers()
    gone_endpoint, _ = webhooks.add(gone.url)
    webhooks.add(kept.url)
    async with dispatching(webhooks, log) as dispatcher:
        log.publish("mail.new", 1, {"n": 1})
        await gone.wait_for(lambda r: len(r) == 1)
        webhooks.delete(gone_endpoint.id)
        await asyncio.wait_for(_until(lambda: gone_endpoint.id not in dispatcher.queues), 10)
        log.publish("mail.new", 1, {"n": 2})
        await kept.wait_for(lambda r: len(r) == 2)
    assert len(gone.requests) == 1
    with pytest.raises(WebhookError) as refused:
        webhooks.get(gone_endpoint.id)
    assert refused.value.code == "webhook_not_found"


async def _until(check) -> None:
    while not check():
        await asyncio.sleep(0.02)


def test_a_url_must_be_http(parts) -> None:
    _store, _vault, _log, webhooks = parts
    with pytest.raises(WebhookError) as refused:
        webhooks.add("ftp://example.com/x")
    assert refused.value.code == "webhook_url_invalid"
    assert refused.value.message("zh") != refused.value.message("en")


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mailhub", "webhooks", *args]
    return subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=60, env=dict(os.environ))


def test_webhooks_cli_add_list_delete(hub_home, receivers) -> None:
    url = receivers().url
    added = _cli("add", url, "--events", "account.*,mail.new", "--json")
    assert added.returncode == 0, added.stderr
    endpoint = json.loads(added.stdout)
    assert endpoint["events"] == ["account.*", "mail.new"] and len(endpoint["secret"]) >= 32

    given = _cli("add", url, "--secret-stdin", stdin="shared-secret-from-stdin\n")
    assert given.returncode == 0 and "shared-secret-from-stdin" not in given.stdout

    listed = json.loads(_cli("list", "--json").stdout)
    assert [e["id"] for e in listed] == [endpoint["id"], endpoint["id"] + 1]
    assert all("secret" not in e for e in listed)
    assert endpoint["secret"] not in _cli("list").stdout

    assert _cli("delete", str(endpoint["id"])).returncode == 0
    assert [e["id"] for e in json.loads(_cli("list", "--json").stdout)] == [endpoint["id"] + 1]
    missing = _cli("delete", "999")
    assert missing.returncode == 1 and "999" in missing.stderr

    store = open_store()
    try:
        with store.session() as session:
            rows = session.scalars(select(WebhookEndpointRow)).all()
            key = load_vault(load_settings().data_dir(), None)
            assert Webhooks(store, key).secret(rows[0].id).reveal() == "shared-secret-from-stdin"
    finally:
        store.close()


async def test_a_password_in_the_url_is_never_shown_or_recorded(parts) -> None:
    _store, _vault, log, webhooks = parts
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: every attempt is refused
    endpoint, _secret = webhooks.add(f"http://crm:pw-in-url-42@127.0.0.1:{port}/hook")
    assert "pw-in-url-42" not in json.dumps(endpoint.to_dict()) and "crm:***@" in endpoint.to_dict()["url"]
    async with dispatching(webhooks, log, schedule=(0.01,)):
        log.publish("mail.new", 1, {})
        await asyncio.wait_for(_until(lambda: len(webhooks.attempts(endpoint.id)) == 2), 10)
    attempts = webhooks.attempts(endpoint.id)
    assert [a.outcome for a in attempts] == ["retry", "gave_up"]
    assert all(a.error and "pw-in-url-42" not in a.error for a in attempts)
    assert "pw-in-url-42" not in _cli("list").stdout
