"""Live SMTP sessions: revoking a client password hangs up its connections; garbage never kills the server."""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
import time
from collections.abc import Callable

import pytest
from conftest_smtp import RunningSmtp, Transcript, smtp_sandbox_fixture  # noqa: F401  (fixture)

from mailhub.sandbox.profiles import get_edition

ADDRESS = "sales@trade-demo.cn"
PASSWORD = "Web-Passw0rd!"
ALIYUN = get_edition("aliyun-standard")


def login_transcript(running: RunningSmtp, secret: str) -> Transcript:
    talk = Transcript.implicit_tls(running)
    talk.reply()
    talk.send("EHLO client.test")
    talk.reply()
    token = base64.b64encode(f"\0{ADDRESS}\0{secret}".encode()).decode()
    assert talk.command("AUTH PLAIN " + token).startswith("235 ")
    return talk


def live_sessions(running: RunningSmtp) -> int:
    return running.on_server(lambda: len(running.server_sandbox.sessions))


def test_revoking_the_client_password_ends_the_live_session(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ADDRESS, PASSWORD)
    kept = smtp_sandbox.new_client_password(ADDRESS, "手机Outlook")
    doomed = smtp_sandbox.new_client_password(ADDRESS, "PC版来发信")
    survivor = login_transcript(smtp_sandbox, kept)
    victim = login_transcript(smtp_sandbox, doomed)
    try:
        assert live_sessions(smtp_sandbox) == 2
        doomed_id = next(
            p.id for p in smtp_sandbox.sandbox.security.list_client_passwords(ADDRESS) if p.remark == "PC版来发信"
        )
        smtp_sandbox.on_server(smtp_sandbox.server_sandbox.delete_client_password, ADDRESS, doomed_id)
        assert victim.line() == ALIYUN.smtp_reply("revoked")
        with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
            victim.line()
        assert survivor.command("NOOP").startswith("250")
        assert live_sessions(smtp_sandbox) == 1
    finally:
        victim.close()
        survivor.close()


def test_session_is_forgotten_when_the_client_quits(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ADDRESS, PASSWORD)
    secret = smtp_sandbox.new_client_password(ADDRESS)
    talk = login_transcript(smtp_sandbox, secret)
    assert live_sessions(smtp_sandbox) == 1
    assert talk.command("QUIT").startswith("221")
    with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
        talk.line()
    talk.close()
    # the server forgets the session in connection_lost, which may run just after the client saw EOF
    assert eventually(lambda: live_sessions(smtp_sandbox) == 0)


def eventually(condition: Callable[[], bool], limit: float = 10.0) -> bool:
    """Poll until true; the limit only guards against a hang."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _works(running: RunningSmtp) -> bool:
    with smtplib.SMTP_SSL(running.host, running.ports["smtps"], context=running.client_context(), timeout=10) as c:
        return c.noop()[0] == 250


def test_plain_bytes_on_the_tls_port_do_not_hurt_the_server(smtp_sandbox: RunningSmtp) -> None:
    with socket.create_connection((smtp_sandbox.host, smtp_sandbox.ports["smtps"]), timeout=10) as raw:
        raw.sendall(b"EHLO not-tls\r\n" + bytes(range(256)) * 4)
        raw.settimeout(10)
        try:
            while raw.recv(4096):
                pass
        except ConnectionError:
            pass
    assert _works(smtp_sandbox)


def test_garbage_commands_get_errors_then_the_door(smtp_sandbox: RunningSmtp) -> None:
    talk = Transcript.implicit_tls(smtp_sandbox)
    try:
        talk.reply()
        assert talk.command("\x00\x01\x02 binary").startswith("500")
        assert talk.command("X" * 5000).startswith("500")  # longer than any command line may be
        assert talk.command("RCPT TO:<a@b.c>").startswith("503")  # no EHLO yet
        # the binary line was the first unknown command; the fifth makes aiosmtpd hang up
        replies = [talk.command(f"BOGUS{i}")[:3] for i in range(4)]
        assert replies == ["500", "500", "500", "502"]
        with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
            talk.line()
    finally:
        talk.close()
    assert _works(smtp_sandbox)


def test_client_that_vanishes_mid_data_leaves_nothing_behind(smtp_sandbox: RunningSmtp) -> None:
    smtp_sandbox.bind_user(ADDRESS, PASSWORD)
    secret = smtp_sandbox.new_client_password(ADDRESS)
    talk = login_transcript(smtp_sandbox, secret)
    assert talk.command(f"MAIL FROM:<{ADDRESS}>").startswith("250")
    assert talk.command("RCPT TO:<buyer@customer.example>").startswith("250")
    assert talk.command("DATA").startswith("354")
    talk.send("Subject: half a message")
    talk.close()
    assert _works(smtp_sandbox)
    assert smtp_sandbox.sandbox.outbound.count() == 0


def test_failed_tls_handshake_on_submission_keeps_the_server_up(smtp_sandbox: RunningSmtp) -> None:
    with socket.create_connection((smtp_sandbox.host, smtp_sandbox.ports["submission"]), timeout=10) as raw:
        file = raw.makefile("rb")
        assert file.readline().startswith(b"220 ")
        raw.sendall(b"EHLO client.test\r\n")
        while not file.readline().startswith(b"250 "):
            pass
        raw.sendall(b"STARTTLS\r\n")
        assert file.readline().startswith(b"220")
        raw.sendall(b"\x16\x03\x01\x00\x05hello-this-is-not-a-client-hello")
        raw.settimeout(10)
        try:
            while raw.recv(4096):
                pass
        except ConnectionError:
            pass
        file.close()
    with smtplib.SMTP(smtp_sandbox.host, smtp_sandbox.ports["submission"], timeout=10) as client:
        client.starttls(context=smtp_sandbox.client_context())
        assert client.noop()[0] == 250
