"""Several clients on one mailbox see each other's changes; IDLE wakes on delivery; UIDs survive a restart."""

from __future__ import annotations

import asyncio

import aioimaplib
from conftest_imap import ADDRESS, PASSWORD, RunningImap, Transcript, imap_fixture  # noqa: F401  (fixture)

MESSAGE = b"From: a@partner.cn\r\nSubject: hi %d\r\n\r\nbody %d\r\n"


def message(n: int) -> bytes:
    return MESSAGE % (n, n)


def append_command(raw: bytes) -> str:
    """APPEND with a LITERAL+ literal, so the whole command goes out in one write."""
    return f"APPEND INBOX {{{len(raw)}+}}\r\n{raw.decode()}"


def selected(imap: RunningImap) -> Transcript:
    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.login(ADDRESS, PASSWORD)
    talk.command("SELECT INBOX")
    return talk


def test_two_sessions_see_each_others_exists_flags_and_expunge(imap: RunningImap) -> None:
    imap.bind_user()
    for n in range(3):
        imap.sandbox.mail.deliver(ADDRESS, message(n))
    first, second = selected(imap), selected(imap)

    untagged, _ = first.command(append_command(message(9)))
    assert untagged == [b"* 4 EXISTS"]
    assert second.command("NOOP") == ([b"* 4 EXISTS"], b"OK NOOP completed")

    first.command("STORE 2 +FLAGS (\\Flagged)")
    assert second.command("NOOP")[0] == [b"* 2 FETCH (UID 2 FLAGS (\\Flagged))"]

    first.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert first.command("EXPUNGE")[0] == [b"* 1 EXPUNGE"]
    # no EXPUNGE during FETCH (sequence numbers must not move under it), then at the next NOOP
    fetched, _ = second.command("FETCH 2 (UID)")
    assert fetched == [b"* 2 FETCH (UID 2)"]
    untagged, _ = second.command("NOOP")
    assert b"* 1 EXPUNGE" in untagged
    assert second.command("FETCH 1 (UID)")[0] == [b"* 1 FETCH (UID 2)"]


def test_idle_is_woken_by_a_delivery_in_the_same_process(imap: RunningImap) -> None:
    imap.bind_user()
    talk = selected(imap)
    talk.send("i1 IDLE")
    assert talk.line() == b"+ idling"
    uid = imap.on_server(imap.server_sandbox.mail.deliver, ADDRESS, message(1))  # type: ignore[union-attr]
    assert uid == 1
    assert talk.line() == b"* 1 EXISTS"
    talk.send("DONE")
    assert talk.until("i1")[1] == b"OK IDLE terminated"


def test_idle_notices_a_delivery_by_another_process(imap: RunningImap) -> None:
    imap.bind_user()
    talk = selected(imap)
    talk.send("i1 IDLE")
    talk.line()
    imap.sandbox.mail.deliver(ADDRESS, message(1))  # the test's own database handle: another "process"
    imap.sandbox.mail.deliver(ADDRESS, message(2))
    lines = [talk.line()]
    if lines[0] != b"* 2 EXISTS":  # the poll may land between the two deliveries
        lines.append(talk.line())
    assert lines[-1] == b"* 2 EXISTS"
    talk.send("DONE")
    assert talk.until("i1")[1] == b"OK IDLE terminated"


def test_idle_reports_expunges_and_flag_changes_of_other_sessions(imap: RunningImap) -> None:
    imap.bind_user()
    for n in range(2):
        imap.sandbox.mail.deliver(ADDRESS, message(n))
    idler, actor = selected(imap), selected(imap)
    idler.send("i1 IDLE")
    idler.line()
    actor.command("STORE 1 +FLAGS (\\Deleted)")
    assert idler.line() == b"* 1 FETCH (UID 1 FLAGS (\\Deleted))"
    actor.command("EXPUNGE")
    assert idler.line() == b"* 1 EXPUNGE"
    idler.send("DONE")
    idler.until("i1")


async def test_aioimaplib_idle_push(imap: RunningImap) -> None:
    imap.bind_user()
    client = aioimaplib.IMAP4_SSL(imap.host, imap.ports["imaps"], ssl_context=imap.client_context(), timeout=10)
    await client.wait_hello_from_server()
    assert (await client.login(ADDRESS, PASSWORD)).result == "OK"
    assert (await client.select("INBOX")).result == "OK"
    idle = await client.idle_start(timeout=10)
    await asyncio.to_thread(imap.sandbox.mail.deliver, ADDRESS, message(1))
    pushed = await client.wait_server_push(timeout=10)
    assert b"1 EXISTS" in pushed
    client.idle_done()
    assert (await asyncio.wait_for(idle, 10)).result == "OK"
    fetched = await client.uid("fetch", "1", "(BODY.PEEK[])")
    assert fetched.result == "OK" and message(1) in fetched.lines
    await client.logout()


def test_restart_on_the_same_data_dir_keeps_uidvalidity_and_uids(imap: RunningImap) -> None:
    imap.bind_user()
    for n in range(3):
        imap.sandbox.mail.deliver(ADDRESS, message(n))
    talk = selected(imap)
    talk.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    talk.command("EXPUNGE")
    before = talk.command("UID FETCH 1:* (UID FLAGS)")[0]
    status_before = talk.command("STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES)")[0]
    talk.close()

    imap.stop_server()
    imap.start()

    talk = selected(imap)
    after = talk.command("UID FETCH 1:* (UID FLAGS)")[0]
    assert after == before == [b"* 1 FETCH (UID 1 FLAGS ())", b"* 2 FETCH (UID 3 FLAGS ())"]
    assert talk.command("STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES)")[0] == status_before
    assert talk.command(append_command(message(5)))[1].startswith(b"OK [APPENDUID ")
    assert talk.command("UID SEARCH ALL")[0] == [b"* SEARCH 1 3 4"]


def test_server_close_ends_sessions_promptly(imap: RunningImap) -> None:
    imap.bind_user()
    talk = selected(imap)
    imap.stop_server()
    assert talk.line() == b"* BYE server shutting down"
