"""Hostile and broken input: BAD and carry on, refuse oversized literals unread, survive garbage and failed TLS."""

from __future__ import annotations

import os
import random
import socket
import ssl
import time

import pytest
from conftest_imap import (  # noqa: F401  (fixture)
    ADDRESS,
    PASSWORD,
    SMALL_APPEND_LIMIT,
    RunningImap,
    Transcript,
    imap_fixture,
)


def logged_in(imap: RunningImap) -> Transcript:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    assert talk.login(ADDRESS, PASSWORD).startswith(b"OK ")
    return talk


@pytest.mark.parametrize(
    "line",
    [
        b"a1 FROBNICATE",
        b"a1 FETCH",
        b"a1 SELECT",
        b'a1 LOGIN "unterminated',
        b"a1 FETCH 1:* (FLAGS",
        b"a1 FETCH 1:* FLAGS)",
        b"a1 UID NONSENSE 1",
        b"a1 STORE 1 +FLAGS",
        b"a1 SEARCH NOSUCHKEY",
        b"a1 LIST",
        b"a1 STATUS INBOX MESSAGES",
    ],
)
def test_malformed_commands_get_bad_and_the_session_lives(imap: RunningImap, line: bytes) -> None:
    talk = logged_in(imap)
    talk.command("SELECT INBOX")
    talk.send(line)
    assert talk.until("a1")[1].startswith(b"BAD ")
    assert talk.command("NOOP")[1] == b"OK NOOP completed"


def test_lines_without_a_tag_get_untagged_bad(imap: RunningImap) -> None:
    talk = logged_in(imap)
    for line in (b"", b")", b"+ foo", b"(((", b"\x00\x01\x02"):
        talk.send(line)
        assert talk.line().startswith(b"* BAD ")
    assert talk.command("NOOP")[1] == b"OK NOOP completed"


def test_commands_in_the_wrong_state_get_bad(imap: RunningImap) -> None:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    assert talk.command("SELECT INBOX")[1].startswith(b"BAD ")
    talk.login(ADDRESS, PASSWORD)
    assert talk.command("FETCH 1 FLAGS")[1].startswith(b"BAD ")
    assert talk.command("LOGIN a b")[1].startswith(b"BAD ")


def test_oversized_synchronising_literal_is_refused_before_it_is_sent(imap: RunningImap) -> None:
    talk = logged_in(imap)
    # The server must answer without a "+" and without waiting for the bytes: we never send them.
    talk.send(b"a1 APPEND INBOX {%d}" % (SMALL_APPEND_LIMIT + 1))
    assert talk.line() == b"a1 NO [TOOBIG] literal too large"
    talk.send(b"a2 SEARCH TEXT {70000}")  # other commands get a small limit
    assert talk.line() == b"a2 NO [TOOBIG] literal too large"
    talk.send(b"a3 NOOP")
    assert talk.until("a3")[1] == b"OK NOOP completed"


def test_oversized_non_synchronising_literal_closes_the_connection(imap: RunningImap) -> None:
    talk = logged_in(imap)
    talk.send(b"a1 APPEND INBOX {%d+}" % (SMALL_APPEND_LIMIT + 1))
    assert talk.line() == b"* BYE [TOOBIG] literal too large"
    with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
        talk.line()


def test_append_with_synchronising_literal_waits_for_the_continuation(imap: RunningImap) -> None:
    talk = logged_in(imap)
    body = b"Subject: sync\r\n\r\nhello\r\n"
    talk.send(b'a1 APPEND INBOX (\\Seen) "05-Jan-2024 08:00:00 +0800" {%d}' % len(body))
    assert talk.line() == b"+ Ready for literal data"
    talk.send(body)
    done = talk.until("a1")[1]
    assert done.startswith(b"OK [APPENDUID ") and done.endswith(b" 1] APPEND completed")
    talk.command("SELECT INBOX")
    assert talk.command("FETCH 1 (FLAGS INTERNALDATE)")[0] == [
        b'* 1 FETCH (FLAGS (\\Seen) INTERNALDATE "05-Jan-2024 00:00:00 +0000")'
    ]


def test_too_long_a_line_ends_the_connection(imap: RunningImap) -> None:
    talk = logged_in(imap)
    talk.send(b"a1 NOOP " + b"x" * 70_000)
    assert talk.line() == b"* BYE line too long"


def test_garbage_bytes_do_not_crash_the_server(imap: RunningImap) -> None:
    for seed in range(5):
        sock = socket.create_connection((imap.host, imap.ports["imap"]), timeout=10)
        sock.recv(4096)
        rng = random.Random(seed)
        sock.sendall(bytes(rng.randrange(256) for _ in range(4096)) + b"\r\n")
        sock.close()
    talk = logged_in(imap)
    assert talk.command("NOOP")[1] == b"OK NOOP completed"


def test_failed_tls_handshakes_do_not_crash_the_server(imap: RunningImap) -> None:
    plaintext = socket.create_connection((imap.host, imap.ports["imaps"]), timeout=10)
    plaintext.sendall(b"a1 CAPABILITY\r\n" + os.urandom(512))
    plaintext.recv(4096)  # an alert or nothing; then the server hangs up
    plaintext.close()

    untrusting = ssl.create_default_context()  # does not know the sandbox CA: the client aborts
    with (
        socket.create_connection((imap.host, imap.ports["imaps"]), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        untrusting.wrap_socket(raw, server_hostname="localhost")

    plain = Transcript.plain(imap)
    plain.line()
    plain.send("s1 STARTTLS")
    assert plain.line() == b"s1 OK Begin TLS negotiation now"
    plain.sock.sendall(os.urandom(300))  # not a ClientHello
    plain.close()

    talk = logged_in(imap)
    assert talk.command("NOOP")[1] == b"OK NOOP completed"


def test_starttls_refuses_commands_pipelined_after_it(imap: RunningImap) -> None:
    talk = Transcript.plain(imap)
    talk.line()
    talk.sock.sendall(b"s1 STARTTLS\r\ns2 CAPABILITY\r\n")
    assert talk.line().startswith(b"* BYE ")


def test_a_client_that_stops_reading_is_dropped(imap: RunningImap) -> None:
    talk = logged_in(imap)
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 1000  # 1 MB
    imap.sandbox.mail.deliver_many(ADDRESS, [big] * 24)  # more than the socket buffers on both sides hold
    talk.command("SELECT INBOX")

    def shorten() -> None:
        imap.server.idle_timeout = 0.3  # type: ignore[union-attr]

    imap.on_server(shorten)
    talk.send("f1 FETCH 1:* (BODY.PEEK[])")  # and never read the answer
    deadline = time.monotonic() + 30  # an upper bound against hanging, not a timing assumption
    while imap.on_server(lambda: imap.server.session_count) and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert imap.on_server(lambda: imap.server.session_count) == 0  # type: ignore[union-attr]
    talk.close()
