"""IDLE wakes on mail that arrives over SMTP: the whole path a colleague's message takes in the sandbox."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage

SALES = "sales@idle-trade.cn"
BOSS = "boss@idle-trade.cn"
PASSWORD = "Main-Passw0rd!"


def _read_until(conn: ssl.SSLSocket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_an_idling_client_sees_exists_when_a_colleague_sends_over_smtp(sandbox_service):
    sandbox_service.bind_user(SALES, PASSWORD)
    sandbox_service.bind_user(BOSS, PASSWORD)
    sales_password = sandbox_service.new_client_password(SALES, "来发信")
    context = ssl.create_default_context(cafile=str(sandbox_service.ca_file))
    raw = socket.create_connection(("127.0.0.1", sandbox_service.ports["imaps"]), timeout=10)
    idle = context.wrap_socket(raw, server_hostname="imap.qiye.aliyun.com")
    _read_until(idle, b"\r\n")
    idle.sendall(f'a1 LOGIN "{SALES}" "{sales_password}"\r\na2 SELECT INBOX\r\n'.encode())
    assert b"a2 OK" in _read_until(idle, b"a2 ")
    idle.sendall(b"a3 IDLE\r\n")
    _read_until(idle, b"+ ")

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = BOSS, SALES, "报价单 / quotation"
    message.set_content("请查收。")
    with smtplib.SMTP("127.0.0.1", sandbox_service.ports["submission"], timeout=10) as smtp:
        smtp.starttls(context=context)
        smtp.login(BOSS, PASSWORD)
        smtp.send_message(message)

    assert b"* 1 EXISTS" in _read_until(idle, b"EXISTS\r\n")
    idle.sendall(b"DONE\r\na4 LOGOUT\r\n")
    assert b"a3 OK" in _read_until(idle, b"a3 ")
    idle.close()
