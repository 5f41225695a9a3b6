"""The event log: rows first (any process can read them), then live subscribers; and ``events tail``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from datetime import datetime

import pytest
from sqlalchemy import inspect

from mailhub.runtime.events import EventLog, kind_matches
from mailhub.store import open_store


def test_migration_creates_the_event_tables_beside_the_other_branches(db_url: str) -> None:
    store = open_store(db_url)
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert {"events", "webhook_endpoints", "webhook_deliveries", "accounts"} <= tables
        log = EventLog(store)
        first = log.publish("mail.new", 3, {"folder": "INBOX", "count": 2, "uids": (7, 8)})
        second = log.publish("account.status", None, {"when": datetime(2026, 1, 2, 3, 4, 5)})
        assert second.id > first.id
        assert [e.id for e in log.since(0)] == [first.id, second.id]
        # What a subscriber got is what the table keeps (tuples and datetimes stored as JSON).
        assert log.since(0)[0].data == {"folder": "INBOX", "count": 2, "uids": [7, 8]} == first.data
        assert log.latest(1)[0].data == {"when": "2026-01-02T03:04:05"}
        assert [e.id for e in log.since(0, account_id=3)] == [first.id]
        assert log.last_id() == second.id
    finally:
        store.close()


def test_kind_patterns() -> None:
    assert kind_matches((), "mail.new")
    assert kind_matches(("account.*",), "account.status")
    assert not kind_matches(("account.*",), "mail.new")
    assert kind_matches(("outbox.sent", "mail.*"), "mail.flags")


async def test_live_subscribers_get_their_events_in_order(hub_home) -> None:
    store = open_store()
    log = EventLog(store)
    try:
        everything = log.subscribe()
        only_seven = log.subscribe(account_id=7, kinds=("mail.*",))
        log.publish("mail.new", 7, {"count": 1})
        log.publish("mail.new", 8, {"count": 2})
        log.publish("outbox.sent", 7, {"outbox_id": 1})
        log.publish("mail.expunged", 7, {"count": 3})

        got = [await asyncio.wait_for(everything.get(), 5) for _ in range(4)]
        assert [(e.kind, e.account_id) for e in got] == [
            ("mail.new", 7),
            ("mail.new", 8),
            ("outbox.sent", 7),
            ("mail.expunged", 7),
        ]
        mine = [await asyncio.wait_for(only_seven.get(), 5) for _ in range(2)]
        assert [e.kind for e in mine] == ["mail.new", "mail.expunged"]
        assert only_seven.queue.empty()

        # A publish from another thread reaches the subscriber on its own loop.
        thread = threading.Thread(target=log.publish, args=("sync.progress", 7, {"done": 1, "total": 2}))
        thread.start()
        thread.join()
        assert (await asyncio.wait_for(everything.get(), 5)).kind == "sync.progress"

        everything.close()
        log.publish("mail.new", 7, {"count": 9})
        assert everything.queue.empty()
    finally:
        store.close()


async def test_a_slow_subscriber_loses_its_oldest_events_not_the_publisher(hub_home) -> None:
    store = open_store()
    log = EventLog(store)
    try:
        slow = log.subscribe(maxsize=3)
        for n in range(5):
            log.publish("mail.new", 1, {"n": n})
        assert slow.dropped == 2
        assert [(await slow.get()).data["n"] for _ in range(3)] == [2, 3, 4]
        assert len(log.since(0)) == 5  # the log itself keeps all of them
    finally:
        store.close()


def _tail(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mailhub", "events", "tail", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def test_events_tail_json_prints_the_newest_events_oldest_first(hub_home) -> None:
    store = open_store()
    try:
        log = EventLog(store)
        for n in range(5):
            log.publish("mail.new", 1 + n % 2, {"folder": "INBOX", "count": n})
    finally:
        store.close()

    result = _tail("--json", "--count", "3")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["data"]["count"] for line in lines] == [2, 3, 4]
    assert {"id", "at", "kind", "account_id", "data"} <= set(lines[0])

    only_two = [json.loads(line) for line in _tail("--json", "--account", "2").stdout.splitlines()]
    assert [line["data"]["count"] for line in only_two] == [1, 3]

    text = _tail("--count", "1")
    assert text.returncode == 0 and "mail.new" in text.stdout and '"count": 4' in text.stdout


def test_events_tail_follow_prints_events_written_by_another_process(hub_home) -> None:
    store = open_store()
    try:
        log = EventLog(store)
        log.publish("mail.new", 1, {"n": 0})
        command = [sys.executable, "-m", "mailhub", "events", "tail", "--json", "--follow"]
        follower = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        try:
            assert follower.stdout is not None
            assert json.loads(follower.stdout.readline())["data"] == {"n": 0}
            log.publish("outbox.sent", 1, {"n": 1})
            assert json.loads(follower.stdout.readline())["data"] == {"n": 1}
        finally:
            follower.terminate()
            follower.wait(10)
    finally:
        store.close()


def test_events_tail_refuses_an_unknown_address(hub_home) -> None:
    result = _tail("--account", "nobody@example.com")
    assert result.returncode == 1
    assert "No account" in result.stderr


@pytest.mark.parametrize("lang, word", [("zh", "已暂停"), ("en", "paused")])
def test_events_tail_shows_status_changes_in_words(hub_home, monkeypatch, lang: str, word: str) -> None:
    store = open_store()
    try:
        EventLog(store).publish_status_change(
            1, 5, {"email": "a@b.cn", "from": "normal", "to": "paused", "reason": "paused", "diagnosis_code": None}
        )
    finally:
        store.close()
    result = _tail("--lang", lang)
    assert result.returncode == 0, result.stderr
    assert "a@b.cn" in result.stdout and word in result.stdout
