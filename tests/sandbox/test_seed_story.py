"""The seed guide's story, end to end over real TLS sockets, as a third-party client lives it.

Admin: third-party clients off → on; IMAP/SMTP service off → on. User: main password works until a client
security password exists; then only the client password works; deleting it ends a live IDLE session.
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
import time

import pytest

from mailhub.sandbox.profiles import get_edition
from mailhub.sandbox.security.decision import Denial

ADDRESS = "sales@trade-demo.cn"
MAIN_PASSWORD = "Web-Passw0rd!"


def imap_login(sandbox_service, username: str, password: str) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context(cafile=str(sandbox_service.ca_file))
    client = imaplib.IMAP4_SSL("127.0.0.1", sandbox_service.ports["imaps"], ssl_context=context, timeout=10)
    client.login(username, password)
    return client


def imap_refusal(sandbox_service, username: str, password: str) -> str:
    with pytest.raises(imaplib.IMAP4.error) as refused:
        imap_login(sandbox_service, username, password)
    return str(refused.value)


def smtp_login(sandbox_service, username: str, password: str) -> smtplib.SMTP_SSL:
    context = ssl.create_default_context(cafile=str(sandbox_service.ca_file))
    client = smtplib.SMTP_SSL("127.0.0.1", sandbox_service.ports["smtps"], context=context, timeout=10)
    client.login(username, password)
    return client


def smtp_refusal(sandbox_service, username: str, password: str) -> tuple[int, str]:
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        smtp_login(sandbox_service, username, password)
    return refused.value.smtp_code, refused.value.smtp_error.decode()


def test_third_party_clients_off_refuses_with_the_editions_reply(sandbox_service):
    sandbox_service.bind_user(ADDRESS, MAIN_PASSWORD, third_party="off")
    edition = get_edition("aliyun-standard")

    imap_text = imap_refusal(sandbox_service, ADDRESS, MAIN_PASSWORD)
    smtp_code, smtp_text = smtp_refusal(sandbox_service, ADDRESS, MAIN_PASSWORD)

    assert edition.imap_auth_failure(Denial.THIRD_PARTY_DISABLED).split(None, 1)[1] in imap_text
    assert f"{smtp_code} {smtp_text}" == edition.smtp_auth_failure(Denial.THIRD_PARTY_DISABLED)
    assert smtp_code == 526 and smtp_text == "Authentication failure[0]"


def test_imap_smtp_service_off_refuses(sandbox_service):
    sandbox_service.bind_user(ADDRESS, MAIN_PASSWORD, third_party="all", imap_smtp=False)
    edition = get_edition("aliyun-standard")

    imap_text = imap_refusal(sandbox_service, ADDRESS, MAIN_PASSWORD)

    assert edition.imap_auth_failure(Denial.SERVICE_DISABLED).split(None, 1)[1] in imap_text
    assert smtp_refusal(sandbox_service, ADDRESS, MAIN_PASSWORD) == (526, "Authentication failure[0]")


def test_main_password_works_until_a_client_password_exists(sandbox_service):
    sandbox_service.bind_user(ADDRESS, MAIN_PASSWORD)

    imap_login(sandbox_service, ADDRESS, MAIN_PASSWORD).logout()
    smtp_login(sandbox_service, ADDRESS, MAIN_PASSWORD).quit()

    client_password = sandbox_service.new_client_password(ADDRESS, remark="来发信")

    assert len(client_password) == 16
    refusal = imap_refusal(sandbox_service, ADDRESS, MAIN_PASSWORD)
    edition = get_edition("aliyun-standard")
    assert edition.imap_auth_failure(Denial.CLIENT_PASSWORD_REQUIRED).split(None, 1)[1] in refusal
    assert smtp_refusal(sandbox_service, ADDRESS, MAIN_PASSWORD)[0] == 526

    imap_login(sandbox_service, ADDRESS, client_password).logout()
    smtp_login(sandbox_service, ADDRESS, client_password).quit()

    [listed] = sandbox_service.sandbox.security.list_client_passwords(ADDRESS)
    assert listed.remark == "来发信"
    assert listed.last_used_at is not None
    assert listed.last_used_protocol == "smtp"
    assert listed.last_used_ip == "127.0.0.1"


def _read_until(conn: ssl.SSLSocket, marker: bytes, limit: float = 10) -> bytes:
    conn.settimeout(limit)
    data = b""
    while marker not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_deleting_a_client_password_ends_a_live_idle_session_and_new_logins(sandbox_service):
    sandbox_service.bind_user(ADDRESS, MAIN_PASSWORD)
    client_password = sandbox_service.new_client_password(ADDRESS, remark="PC Outlook")
    [info] = sandbox_service.sandbox.security.list_client_passwords(ADDRESS)
    context = ssl.create_default_context(cafile=str(sandbox_service.ca_file))
    raw = socket.create_connection(("127.0.0.1", sandbox_service.ports["imaps"]), timeout=10)
    conn = context.wrap_socket(raw, server_hostname="imap.qiye.aliyun.com")
    assert b"* OK" in _read_until(conn, b"\r\n")
    conn.sendall(f'a1 LOGIN "{ADDRESS}" "{client_password}"\r\n'.encode())
    assert b"a1 OK" in _read_until(conn, b"a1 ")
    conn.sendall(b"a2 SELECT INBOX\r\n")
    assert b"a2 OK" in _read_until(conn, b"a2 ")
    conn.sendall(b"a3 IDLE\r\n")
    assert b"+ " in _read_until(conn, b"+ ")
    smtp_session = smtp_login(sandbox_service, ADDRESS, client_password)

    started = time.monotonic()
    sandbox_service.sandbox.delete_client_password(ADDRESS, info.id)  # another process's view of the data
    after_delete = _read_until(conn, b"* BYE", limit=5)
    elapsed = time.monotonic() - started

    assert b"* BYE" in after_delete
    assert elapsed < 1.0, f"BYE took {elapsed:.2f}s"
    with pytest.raises((smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError)):
        smtp_session.noop()
        smtp_session.mail(ADDRESS)
    imap_refusal(sandbox_service, ADDRESS, client_password)
    smtp_refusal(sandbox_service, ADDRESS, client_password)
    conn.close()
