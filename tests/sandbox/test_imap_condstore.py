"""CONDSTORE (RFC 7162) as a syncing client uses it: HIGHESTMODSEQ, FETCH CHANGEDSINCE, conditional STORE."""

from __future__ import annotations

import re

from conftest_imap import ADDRESS, PASSWORD, RunningImap, Transcript, imap_fixture  # noqa: F401  (fixture)
from imapclient import IMAPClient


def selected(imap: RunningImap, select: str = "SELECT INBOX (CONDSTORE)") -> tuple[Transcript, int]:
    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.login(ADDRESS, PASSWORD)
    untagged, done = talk.command(select)
    assert done.startswith(b"OK [READ-WRITE]")
    found = [re.search(rb"HIGHESTMODSEQ (\d+)", line) for line in untagged]
    modseqs = [int(m.group(1)) for m in found if m]
    return talk, modseqs[0] if modseqs else 0


def deliver(imap: RunningImap, count: int) -> None:
    imap.bind_user()
    for n in range(count):
        imap.sandbox.mail.deliver(ADDRESS, b"Subject: %d\r\n\r\nx\r\n" % n)


def test_changedsince_returns_only_what_changed(imap: RunningImap) -> None:
    deliver(imap, 3)
    talk, highest = selected(imap)
    assert highest > 0
    talk.command("STORE 2 +FLAGS.SILENT (\\Seen)")
    untagged, done = talk.command(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {highest})")
    assert done == b"OK FETCH completed"
    assert len(untagged) == 1
    assert re.fullmatch(rb"\* 2 FETCH \(FLAGS \(\\Seen\) MODSEQ \((\d+)\)\)", untagged[0])
    status = talk.command("STATUS INBOX (HIGHESTMODSEQ)")[0][0]
    assert int(re.search(rb"HIGHESTMODSEQ (\d+)", status).group(1)) > highest


def test_conditional_store_reports_modified_messages(imap: RunningImap) -> None:
    deliver(imap, 2)
    talk, highest = selected(imap)
    other, _ = selected(imap)
    other.command("STORE 1 +FLAGS (\\Flagged)")  # someone else changes message 1
    untagged, done = talk.command(f"STORE 1:2 (UNCHANGEDSINCE {highest}) +FLAGS.SILENT (\\Seen)")
    assert done == b"OK [MODIFIED 1] conditional STORE failed for some messages"
    assert next(line for line in untagged if b"FETCH (MODSEQ" in line).startswith(b"* 2 FETCH (MODSEQ (")
    assert talk.command("FETCH 1 (FLAGS)")[0][-1].startswith(b"* 1 FETCH (FLAGS (\\Flagged) MODSEQ (")


def test_enable_condstore_and_search_modseq(imap: RunningImap) -> None:
    deliver(imap, 3)
    talk, _ = selected(imap, "SELECT INBOX")
    assert talk.command("ENABLE CONDSTORE")[0] == [b"* ENABLED CONDSTORE"]
    talk.command("STORE 3 +FLAGS.SILENT ($Done)")
    modseq = int(re.search(rb"MODSEQ \((\d+)\)", talk.command("FETCH 3 (MODSEQ)")[0][0]).group(1))
    assert talk.command(f"SEARCH MODSEQ {modseq}")[0] == [b"* SEARCH 3 (MODSEQ %d)" % modseq]
    assert talk.command(f'SEARCH MODSEQ "/flags/$Done" all {modseq}')[0] == [b"* SEARCH 3 (MODSEQ %d)" % modseq]


def test_imapclient_condstore_round_trip(imap: RunningImap) -> None:
    deliver(imap, 2)
    with IMAPClient(imap.host, imap.ports["imaps"], ssl_context=imap.client_context()) as client:
        client.login(ADDRESS, PASSWORD)
        assert client.has_capability("CONDSTORE")
        assert client.enable("CONDSTORE") == [b"CONDSTORE"]
        info = client.select_folder("INBOX")
        highest = info[b"HIGHESTMODSEQ"]
        client.add_flags([2], [b"\\Answered"])
        changed = client.fetch([1, 2], ["FLAGS"], modifiers=[f"CHANGEDSINCE {highest}"])
        assert list(changed) == [2] and changed[2][b"MODSEQ"][0] > highest
