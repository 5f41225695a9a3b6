"""Bugs real clients found in the sandbox IMAP server, kept fixed."""

from __future__ import annotations

import imaplib
import ssl

ADDRESS = "ops@regress-trade.cn"
PASSWORD = "Main-Passw0rd!"


def _login(sandbox_service) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context(cafile=str(sandbox_service.ca_file))
    client = imaplib.IMAP4_SSL("127.0.0.1", sandbox_service.ports["imaps"], ssl_context=context, timeout=10)
    client.login(ADDRESS, PASSWORD)
    return client


def test_a_reflagged_message_keeps_its_sequence_number_for_a_new_session(sandbox_service):
    """Found by the hub's sync engine: after one session flagged UID 1, a new SELECT listed UIDs in modseq
    order, so SEARCH ALL and UID FETCH 1:* lost the re-flagged message (and a client would expunge it)."""
    sandbox_service.bind_user(ADDRESS, PASSWORD)
    for n in range(3):
        sandbox_service.sandbox.mail.deliver(ADDRESS, b"Subject: m%d\r\n\r\nbody\r\n" % n)
    first = _login(sandbox_service)
    first.select("INBOX")
    first.uid("STORE", "1", "+FLAGS", r"(\Seen)")

    second = _login(sandbox_service)
    assert second.select("INBOX") == ("OK", [b"3"])
    assert second.search(None, "ALL") == ("OK", [b"1 2 3"])
    _, fetched = second.uid("FETCH", "1:*", "(FLAGS)")
    assert fetched == [b"1 (UID 1 FLAGS (\\Seen))", b"2 (UID 2 FLAGS ())", b"3 (UID 3 FLAGS ())"]
    first.logout()
    second.logout()
