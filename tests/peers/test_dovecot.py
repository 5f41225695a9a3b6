"""The Dovecot launcher works: real logins over TLS, real submission relayed to the sink, fast loading."""

from __future__ import annotations

import email
import email.header
import imaplib
import smtplib
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from tests.peers.dovecot import DovecotServer

pytestmark = pytest.mark.peer

ALICE, ALICE_PASSWORD = "alice@dovecot.test", "alice-Secret-1"


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        server.add_user(ALICE, ALICE_PASSWORD)
        yield server


def _message(subject: str, body: str = "你好，世界\n", to: str = "bob@remote.test") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ALICE, to, subject
    msg.set_content(body)
    return msg


def _decoded_subject(raw: bytes) -> str:
    header = email.message_from_bytes(raw)["Subject"]
    return str(email.header.make_header(email.header.decode_header(header)))


def test_imaps_login_sees_delivered_mail_with_chinese_subject(dovecot: DovecotServer) -> None:
    dovecot.deliver(ALICE, _message("季度报表 Q3").as_bytes())
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=_context_for(dovecot)) as imap:
        imap.login(ALICE, ALICE_PASSWORD)
        status, data = imap.select("INBOX", readonly=True)
        assert (status, data) == ("OK", [b"1"])
        _, fetched = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert _decoded_subject(fetched[0][1]) == "季度报表 Q3"


def test_imap_starttls_then_login(dovecot: DovecotServer) -> None:
    with imaplib.IMAP4(dovecot.host, dovecot.ports["imap"]) as imap:
        assert "STARTTLS" in imap.capabilities
        imap.starttls(ssl_context=_context_for(dovecot))
        assert imap.login(ALICE, ALICE_PASSWORD)[0] == "OK"


def test_wrong_password_is_refused(dovecot: DovecotServer) -> None:
    context = _context_for(dovecot)
    with (
        imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=context) as imap,
        pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"),
    ):
        imap.login(ALICE, "not-the-password")


def test_certificate_is_real_tls_signed_by_the_peer_ca(dovecot: DovecotServer) -> None:
    # The system trust store does not know the peer CA: the handshake must fail there ...
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL("localhost", dovecot.ports["imaps"], ssl_context=ssl.create_default_context())
    # ... and succeed, with the name checked, for the chosen host name once the CA is trusted.
    context = dovecot.client_context()
    address = (dovecot.host, dovecot.ports["imaps"])
    with (
        socket.create_connection(address, timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=dovecot.hostname) as tls,
    ):
        assert tls.recv(100).startswith(b"* OK")
    with pytest.raises(ssl.SSLCertVerificationError), socket.create_connection(address, timeout=10) as raw:
        context.wrap_socket(raw, server_hostname="imap.other.test")


@pytest.mark.parametrize("port_name", ["smtps", "submission"])
def test_submission_auth_relays_to_the_sink(dovecot: DovecotServer, port_name: str) -> None:
    context = _context_for(dovecot)
    if port_name == "smtps":
        client = smtplib.SMTP_SSL(dovecot.host, dovecot.ports["smtps"], context=context, timeout=10)
    else:
        client = smtplib.SMTP(dovecot.host, dovecot.ports["submission"], timeout=10)
        client.starttls(context=context)
    with client:
        client.login(ALICE, ALICE_PASSWORD)
        client.send_message(_message(f"发票 via {port_name}"))
    (relayed,) = dovecot.sink.wait_for(1)
    assert relayed.mail_from == ALICE
    assert relayed.rcpt_tos == ("bob@remote.test",)
    assert _decoded_subject(relayed.content) == f"发票 via {port_name}"


def test_submission_wrong_password_is_refused(dovecot: DovecotServer) -> None:
    context = _context_for(dovecot)
    with smtplib.SMTP_SSL(dovecot.host, dovecot.ports["smtps"], context=context, timeout=10) as client:
        client.ehlo()
        client.user, client.password = ALICE, "not-the-password"
        # One mechanism only: smtplib's login() would retry with AUTH LOGIN and meet Dovecot's
        # growing auth penalty (seconds) for a second failure from the same address.
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.auth("PLAIN", client.auth_plain)
    assert dovecot.sink.messages == []


def test_load_messages_fills_the_mailbox(dovecot: DovecotServer) -> None:
    messages = (_message(f"批量 {n}", to=ALICE).as_bytes() for n in range(300))
    assert dovecot.load_messages(ALICE, messages) == 300
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=_context_for(dovecot)) as imap:
        imap.login(ALICE, ALICE_PASSWORD)
        assert imap.select("INBOX", readonly=True) == ("OK", [b"300"])
        _, fetched = imap.fetch("300", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"\\Seen" in fetched[0][0]
        assert _decoded_subject(fetched[0][1]) == "批量 299"


def test_users_added_while_running_can_log_in(dovecot: DovecotServer) -> None:
    dovecot.add_user("carol@dovecot.test", "carol-Secret-2")
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.ports["imaps"], ssl_context=_context_for(dovecot)) as imap:
        assert imap.login("carol@dovecot.test", "carol-Secret-2")[0] == "OK"


def test_stop_closes_the_ports_and_removes_the_directory() -> None:
    server = DovecotServer().start()
    root, port = server.root, server.ports["imaps"]
    assert root.is_dir()
    server.stop()
    assert not root.exists()
    with pytest.raises(OSError):
        socket.create_connection((server.host, port), timeout=2).close()


def test_repr_never_shows_passwords(dovecot: DovecotServer) -> None:
    assert ALICE in repr(dovecot)
    assert ALICE_PASSWORD not in repr(dovecot)


def _context_for(dovecot: DovecotServer) -> ssl.SSLContext:
    """Connect by IP but check the certificate: the peer certificate lists 127.0.0.1 too."""
    return dovecot.client_context()
