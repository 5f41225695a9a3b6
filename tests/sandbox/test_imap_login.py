"""IMAP login as a third-party client meets it: greeting, capabilities, STARTTLS, LOGIN/AUTHENTICATE through
the security gate with the edition's reply texts, the NetEase ID rule, and revocation of live sessions."""

from __future__ import annotations

import base64
import imaplib
import ssl

import pytest
from conftest_imap import ADDRESS, PASSWORD, RunningImap, Transcript, imap_fixture  # noqa: F401  (fixture)

from mailhub.sandbox.profiles import get_edition
from mailhub.sandbox.security import Denial

ALIYUN = get_edition("aliyun-standard")
NETEASE = get_edition("netease-qiye")


def test_greeting_and_capabilities_before_and_after_login(imap: RunningImap) -> None:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    assert talk.line() == b"* OK " + ALIYUN.imap_greeting.encode()
    untagged, done = talk.command("CAPABILITY")
    before = untagged[0].split()
    assert done == b"OK CAPABILITY completed"
    assert {b"IMAP4rev1", b"IDLE", b"UIDPLUS", b"MOVE", b"ID", b"NAMESPACE", b"LITERAL+", b"SPECIAL-USE"} <= set(before)
    assert {b"AUTH=PLAIN", b"AUTH=LOGIN", b"SASL-IR"} <= set(before)
    assert b"STARTTLS" not in before and b"LOGINDISABLED" not in before
    done = talk.login(ADDRESS, PASSWORD)
    assert done.startswith(b"OK [CAPABILITY IMAP4rev1 ")
    after = talk.command("CAPABILITY")[0][0].split()
    assert b"AUTH=PLAIN" not in after and b"IDLE" in after
    talk.close()


def test_greeting_speaks_the_edition_of_the_host_the_client_dialled(imap: RunningImap) -> None:
    talk = Transcript.implicit_tls(imap, server_name="imap.qiye.163.com")
    assert talk.line() == b"* OK " + NETEASE.imap_greeting.encode()
    talk.close()


def test_plain_port_offers_starttls_and_refuses_login_until_then(imap: RunningImap) -> None:
    imap.bind_user()
    talk = Transcript.plain(imap)
    talk.line()
    caps = talk.command("CAPABILITY")[0][0].split()
    assert b"STARTTLS" in caps and b"LOGINDISABLED" in caps
    assert not [c for c in caps if c.startswith(b"AUTH=")]
    assert talk.login(ADDRESS, PASSWORD) == ALIYUN.imap_text("tls_required").encode()
    talk.close()

    client = imaplib.IMAP4(imap.host, imap.ports["imap"])
    client.starttls(imap.client_context())
    assert "AUTH=PLAIN" in client.capabilities and "LOGINDISABLED" not in client.capabilities
    assert client.login(ADDRESS, PASSWORD)[0] == "OK"
    assert client.select("INBOX")[0] == "OK"
    client.logout()


def test_bad_password_gets_the_editions_failure_text(imap: RunningImap) -> None:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    assert talk.login(ADDRESS, "not-the-password") == ALIYUN.imap_auth_failure(Denial.BAD_PASSWORD).encode()
    assert talk.login("zhang.wei", PASSWORD) == ALIYUN.imap_auth_failure(Denial.USERNAME_NOT_FULL_ADDRESS).encode()
    # the session lives on after a refusal
    assert talk.login(ADDRESS, PASSWORD).startswith(b"OK ")
    talk.close()


def test_web_password_stops_working_once_a_client_password_exists(imap: RunningImap) -> None:
    imap.bind_user()
    secret = imap.new_client_password()
    client = imaplib.IMAP4_SSL(imap.host, imap.ports["imaps"], ssl_context=imap.client_context())
    with pytest.raises(imaplib.IMAP4.error, match="client security password"):
        client.login(ADDRESS, PASSWORD)
    assert client.login(ADDRESS, secret)[0] == "OK"
    client.logout()


def test_authenticate_plain_with_initial_response_and_with_continuation(imap: RunningImap) -> None:
    imap.bind_user()
    token = base64.b64encode(f"\0{ADDRESS}\0{PASSWORD}".encode()).decode()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    assert talk.command(f"AUTHENTICATE PLAIN {token}")[1].endswith(b"AUTHENTICATE completed")
    talk.close()

    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.send("a1 AUTHENTICATE PLAIN")
    assert talk.line() == b"+ "
    talk.send(token)
    assert talk.until("a1")[1].startswith(b"OK [CAPABILITY ")
    talk.close()


def test_authenticate_login_and_cancel(imap: RunningImap) -> None:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.send("a1 AUTHENTICATE LOGIN")
    assert talk.line() == b"+ VXNlcm5hbWU6"
    talk.send("*")
    assert talk.until("a1")[1].startswith(b"BAD ")
    talk.send("a2 AUTHENTICATE LOGIN")
    talk.line()
    talk.send(base64.b64encode(ADDRESS.encode()).decode())
    assert talk.line() == b"+ UGFzc3dvcmQ6"
    talk.send(base64.b64encode(PASSWORD.encode()).decode())
    assert talk.until("a2")[1].startswith(b"OK ")
    talk.close()


def test_imaplib_authenticate_plain(imap: RunningImap) -> None:
    imap.bind_user()
    client = imaplib.IMAP4_SSL(imap.host, imap.ports["imaps"], ssl_context=imap.client_context())
    typ, _ = client.authenticate("PLAIN", lambda _challenge: f"\0{ADDRESS}\0{PASSWORD}".encode())
    assert typ == "OK"
    client.logout()


def test_netease_refuses_select_until_the_client_sends_id(imap: RunningImap) -> None:
    address = "li.lei@netease-demo.cn"
    imap.bind_user(address, PASSWORD, edition="netease-qiye")
    talk = Transcript.implicit_tls(imap)
    talk.line()
    assert talk.login(address, PASSWORD).startswith(b"OK ")
    assert talk.command("SELECT INBOX")[1] == NETEASE.imap_text("unsafe_login").encode()
    untagged, done = talk.command('ID ("name" "Foxmail" "version" "7.2")')
    assert untagged[0].startswith(b"* ID (") and done == b"OK ID completed"
    assert talk.command("SELECT INBOX")[1].startswith(b"OK [READ-WRITE]")
    talk.close()


def test_deleting_the_client_password_ends_its_sessions_even_in_idle(imap: RunningImap) -> None:
    imap.bind_user()
    kept = imap.new_client_password(remark="手机Outlook")
    doomed = imap.new_client_password(remark="PC版来发信")
    survivor, idler = Transcript.implicit_tls(imap), Transcript.implicit_tls(imap)
    for talk, secret in ((survivor, kept), (idler, doomed)):
        talk.line()
        assert talk.login(ADDRESS, secret).startswith(b"OK ")
    idler.command("SELECT INBOX")
    idler.send("i1 IDLE")
    assert idler.line() == b"+ idling"
    assert imap.live_sessions() == 2

    doomed_id = next(p.id for p in imap.sandbox.security.list_client_passwords(ADDRESS) if p.remark == "PC版来发信")
    imap.sandbox.security.delete_client_password(ADDRESS, doomed_id)  # as the console in another process does
    assert imap.on_server(imap.server_sandbox.revoke_vanished_client_passwords) == 1

    assert idler.line() == b"* BYE " + ALIYUN.imap_text("revoked_bye").encode()
    with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
        idler.line()
    assert survivor.command("NOOP")[1] == b"OK NOOP completed"
    assert imap.live_sessions() == 1
    survivor.close()


def test_logout_says_the_editions_goodbye_and_unregisters(imap: RunningImap) -> None:
    imap.bind_user()
    talk = Transcript.implicit_tls(imap)
    talk.line()
    talk.login(ADDRESS, PASSWORD)
    assert imap.live_sessions() == 1
    untagged, done = talk.command("LOGOUT")
    assert untagged == [b"* BYE " + ALIYUN.imap_text("logout_bye").encode()]
    assert done == b"OK LOGOUT completed"
    with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
        talk.line()
    assert imap.live_sessions() == 0
