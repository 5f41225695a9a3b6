"""The outbound capture store: what the sandbox would have sent to other domains, kept for inspection."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailhub.sandbox import db
from mailhub.sandbox.outbound import OutboundStore


def raw_message(n: int, subject: str = "hello") -> bytes:
    return (
        f"From: sales@trade-demo.cn\r\nTo: buyer@customer.example\r\nSubject: {subject} {n}\r\n"
        f"Message-ID: <{n}@trade-demo.cn>\r\n\r\nbody {n}\r\n"
    ).encode()


@pytest.fixture
def store(tmp_path: Path) -> OutboundStore:
    return OutboundStore(db.connect(tmp_path))


def test_capture_then_get_returns_envelope_headers_and_bytes(store: OutboundStore) -> None:
    raw = raw_message(1, "报价单")
    message_id = store.capture("sales@trade-demo.cn", ["buyer@customer.example", "采购@客户.example"], raw)
    captured = store.get(message_id)
    assert captured is not None
    assert captured.mail_from == "sales@trade-demo.cn"
    assert captured.rcpt_tos == ("buyer@customer.example", "采购@客户.example")
    assert captured.subject == "报价单 1"
    assert captured.message_id == "<1@trade-demo.cn>"
    assert captured.size == len(raw)
    assert captured.raw == raw
    assert store.get(message_id + 1) is None


def test_list_pages_newest_first_without_bodies(store: OutboundStore) -> None:
    ids = [store.capture("a@x.test", ["b@y.test"], raw_message(n)) for n in range(5)]
    first_page = store.list(limit=2)
    second_page = store.list(limit=2, offset=2)
    assert [m.id for m in first_page] == ids[::-1][:2]
    assert [m.id for m in second_page] == ids[::-1][2:4]
    assert all(m.raw == b"" for m in first_page + second_page)
    assert store.count() == 5


def test_message_ids_reveal_a_duplicate_send(store: OutboundStore) -> None:
    store.capture("a@x.test", ["b@y.test"], raw_message(7))
    store.capture("a@x.test", ["b@y.test"], raw_message(8))
    store.capture("a@x.test", ["b@y.test"], raw_message(7))
    assert store.message_ids() == {"<7@trade-demo.cn>", "<8@trade-demo.cn>"}
    assert store.count_message_id("<7@trade-demo.cn>") == 2
    assert store.count_message_id("<9@trade-demo.cn>") == 0


def test_for_recipient_matches_any_envelope_recipient_case_insensitively(store: OutboundStore) -> None:
    store.capture("a@x.test", ["one@y.test", "Two@Y.test"], raw_message(1))
    store.capture("a@x.test", ["three@y.test"], raw_message(2))
    assert [m.subject for m in store.for_recipient("two@y.test")] == ["hello 1"]
    assert [m.subject for m in store.for_recipient("THREE@y.test")] == ["hello 2"]
    assert store.for_recipient("four@y.test") == []


def test_message_without_headers_is_still_kept(store: OutboundStore) -> None:
    message_id = store.capture("a@x.test", ["b@y.test"], b"just text, no header block")
    captured = store.get(message_id)
    assert captured is not None and captured.subject == "" and captured.message_id == ""


def test_delete_and_clear(store: OutboundStore) -> None:
    kept = store.capture("a@x.test", ["b@y.test"], raw_message(1))
    gone = store.capture("a@x.test", ["b@y.test"], raw_message(2))
    assert store.delete(gone) is True
    assert store.delete(gone) is False
    assert [m.id for m in store.list()] == [kept]
    assert store.clear() == 1
    assert store.count() == 0


def test_a_second_connection_sees_captures(tmp_path: Path) -> None:
    writer = OutboundStore(db.connect(tmp_path))
    reader = OutboundStore(db.connect(tmp_path))
    writer.capture("a@x.test", ["b@y.test"], raw_message(1))
    assert reader.count() == 1


def test_repr_does_not_carry_the_body(store: OutboundStore) -> None:
    store.capture("a@x.test", ["b@y.test"], raw_message(1, "secret-body-marker"))
    captured = store.get(store.list()[0].id)
    assert captured is not None and b"body 1" in captured.raw
    assert "body 1" not in repr(captured)


def test_encoded_subject_is_shown_readable(store: OutboundStore) -> None:
    raw = b"Subject: =?UTF-8?B?5oql5Lu35Y2V?= =?GB18030?B?ss6/vA==?=\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n"
    captured = store.get(store.capture("a@x.test", ["b@y.test"], raw))
    assert captured is not None and captured.subject == "报价单参考"
