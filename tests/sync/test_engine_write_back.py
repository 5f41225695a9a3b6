"""What a person does in the hub reaches the server: mark read/unread, move, delete; bodies open once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_hub import DovecotHub, add_users, make_message
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.store.mail_models import MessageBodyRow
from mailhub.sync.bodies import message_body, read_message, sanitize_html
from mailhub.sync.engine import AccountSync
from mailhub.sync.write_back import delete_message, mark, move

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        add_users(server)
        yield server


@pytest.fixture
async def synced(dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ports = dovecot.ports.values()
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in ports))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    hub = DovecotHub(dovecot, tmp_path / "home")
    for n in range(3):
        hub.deliver(make_message(f"邮件 {n}"))
    await hub.bind()
    await AccountSync(hub.store, hub.vault, hub.account_id).sync_once()
    yield hub
    hub.close()


def _id(hub: DovecotHub, uid: int, folder: str = "INBOX") -> int:
    return next(m.id for m in hub.messages(folder) if m.uid == uid)


async def test_mark_read_and_unread_is_seen_on_the_server(synced: DovecotHub) -> None:
    await mark(synced.store, synced.vault, _id(synced, 2), read=True)
    assert synced.server_state()[2] == {"\\Seen"}
    assert [m.seen for m in synced.messages()] == [False, True, False]

    await mark(synced.store, synced.vault, _id(synced, 2), read=False)
    assert synced.server_state()[2] == frozenset()
    assert synced.stored_state() == synced.server_state()


async def test_move_and_delete_are_done_on_the_server_and_the_next_sync_agrees(synced: DovecotHub) -> None:
    await move(synced.store, synced.vault, _id(synced, 1), "Sent")
    await delete_message(synced.store, synced.vault, _id(synced, 3))

    assert set(synced.server_state("INBOX")) == {2}
    assert len(synced.server_state("Sent")) == 1
    assert set(synced.stored_state("INBOX")) == {2}
    await AccountSync(synced.store, synced.vault, synced.account_id).sync_once()
    assert synced.stored_state("INBOX") == synced.server_state("INBOX")
    assert [m.subject for m in synced.messages("Sent")] == ["邮件 0"]


async def test_a_body_is_fetched_once_without_marking_it_read(synced: DovecotHub) -> None:
    message_id = _id(synced, 1)
    raw = await message_body(synced.store, synced.vault, message_id)

    assert "你好，这是正文。" in read_message(raw).text
    assert synced.server_state()[1] == frozenset()  # BODY.PEEK: still unread
    with synced.store.session() as session:
        assert session.get(MessageBodyRow, message_id) is not None
    synced.dovecot.doveadm("expunge", "-u", synced.address, "mailbox", "INBOX", "uid", "1")
    assert await message_body(synced.store, synced.vault, message_id) == raw  # from the cache


def test_sanitized_html_keeps_text_and_links_but_no_script_or_handlers() -> None:
    dirty = (
        '<html><head><style>p{}</style></head><body><p onclick="x()">你好 <a href="javascript:alert(1)">a</a>'
        '<a href="https://corp.cn/x">b</a><script>alert(1)</script><img src="http://t/p.gif" onerror="y()">'
        "<iframe src=https://evil></iframe></body></html>"
    )
    clean = sanitize_html(dirty)
    assert clean == '<p>你好 <a>a</a><a href="https://corp.cn/x">b</a><img src="http://t/p.gif">'
