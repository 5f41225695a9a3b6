"""The demo story, as the seed tells it: an admin allows third-party clients and switches IMAP/SMTP on for a
user; the user makes a client security password through the SMS code; a third-party client logs in with it.

Used by ``mailhub demo``; the functions are the real sandbox API, so the demo proves what it shows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aioimaplib
import aiosmtplib

from mailhub.sandbox.sandbox import Sandbox

DEMO_DOMAIN = "trade-demo.cn"
DEMO_USER = f"sales@{DEMO_DOMAIN}"
DEMO_EDITION = "aliyun-standard"
DEMO_PHONE = "13800138000"
DEMO_MAIN_PASSWORD = "Demo-Web-Passw0rd"  # the web password: third-party clients stop accepting it below


@dataclass(frozen=True)
class DemoMailbox:
    address: str
    client_password: str
    remark: str


def reset_demo_data(data_dir: Path) -> None:
    """Start every demo from the same story; the CA is kept so a client that trusted it still does."""
    if data_dir.exists():
        for child in data_dir.iterdir():
            if child.name != "tls":
                shutil.rmtree(child) if child.is_dir() else child.unlink()


def set_up_story(sandbox: Sandbox) -> DemoMailbox:
    """Admin steps, then user steps, through the same calls the console and CLI use."""
    sandbox.directory.add_domain(DEMO_DOMAIN, DEMO_EDITION)
    sandbox.security.set_policy(DEMO_DOMAIN, third_party="all")  # 允许使用第三方客户端: 全员
    sandbox.add_user(DEMO_USER, DEMO_MAIN_PASSWORD, DEMO_PHONE, department="外贸部")
    sandbox.directory.set_imap_smtp(DEMO_USER, True)  # 开启IMAP/SMTP服务
    security = sandbox.security
    security.enable_client_passwords(DEMO_USER)  # 三方客户端安全密码: 开启
    security.request_code(DEMO_USER)  # 生成新密码 → SMS code to the bound phone
    code = security.sms_messages(DEMO_USER)[-1].code
    remark = "mailhub 演示"
    _info, password = security.create_client_password(DEMO_USER, code, remark)
    return DemoMailbox(DEMO_USER, password, remark)


async def prove_client_login(host: str, ports: dict[str, int], mailbox: DemoMailbox, ca_file: Path) -> int:
    """Send a welcome message over SMTPS with the client password and count the INBOX over IMAPS."""
    import ssl

    context = ssl.create_default_context(cafile=str(ca_file))
    message = EmailMessage()
    message["From"] = mailbox.address
    message["To"] = mailbox.address
    message["Subject"] = "欢迎使用 mailhub / Welcome to mailhub"
    message["Message-ID"] = make_msgid(domain=DEMO_DOMAIN)
    message.set_content("这封信经由客户端安全密码发出。\nSent with a client security password.\n")
    await aiosmtplib.send(
        message,
        hostname=host,
        port=ports["smtps"],
        use_tls=True,
        tls_context=context,
        username=mailbox.address,
        password=mailbox.client_password,
        timeout=15,
    )
    imap = aioimaplib.IMAP4_SSL(host, ports["imaps"], ssl_context=context, timeout=15)
    await imap.wait_hello_from_server()
    login = await imap.login(mailbox.address, mailbox.client_password)
    if login.result != "OK":
        raise RuntimeError(f"IMAP login with the client password failed: {login.lines[-1]!r}")
    selected = await imap.select("INBOX")
    await imap.logout()
    exists = [line for line in selected.lines if line.endswith(b"EXISTS")]
    return int(exists[0].split()[0]) if exists else 0
