"""The GBK/GB18030/Big5 and malformed corpus, served by Dovecot, syncs completely with the right subjects and
senders; messages broken beyond reading are stored with their problems and never stop the sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_hub import DovecotHub, add_users
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.sync.engine import AccountSync

pytestmark = pytest.mark.peer
CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
BROKEN = [
    b"\x00\x01\x02 not a message at all \xff\xfe",
    b"Subject =?gbk?B?broken\r\nno colon here\r\n\r\nbody",
    b"From: \xc0\xee\xcb\xc4\r\nSubject: =?utf-8?B?5pyq57uT5p2f?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
    b"--x\r\nContent-Type: text/plain; charset=gbk\r\n\r\n\xc4\xe3\xba\xc3 never closed",
    b"Subject: " + b"A" * 70_000 + b"\r\n\r\nhuge header",
]


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        add_users(server)
        yield server


async def test_the_corpus_syncs_completely(dovecot: DovecotServer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in dovecot.ports.values()))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    hub = DovecotHub(dovecot, tmp_path / "home")
    try:
        for case in MANIFEST:
            hub.deliver((CORPUS / case["file"]).read_bytes())
        for raw in BROKEN:
            hub.deliver(raw)
        await hub.bind()

        report = await AccountSync(hub.store, hub.vault, hub.account_id).sync_once()

        assert report.folders[0].skipped == 0
        stored = hub.messages()
        assert len(stored) == len(MANIFEST) + len(BROKEN)
        assert hub.stored_state() == hub.server_state()
        for case, message in zip(MANIFEST, stored, strict=False):  # Maildir delivery keeps the order
            assert message.subject == case["subject"], case["file"]
            assert message.from_name == case.get("from_name", message.from_name), case["file"]
            assert message.from_email == case.get("from_email", message.from_email), case["file"]
            if "snippet" in case:
                assert message.snippet.startswith(case["snippet"]), case["file"]
        broken = stored[len(MANIFEST) :]
        assert broken[2].subject == "未结束" and broken[2].from_name == "李四"
        assert all(message.problems for message in (broken[0], broken[1]))
    finally:
        hub.close()
