"""The sandbox half of the demo, as the seed tells it: an admin allows third-party clients and switches
IMAP/SMTP on for a user; the user makes a client security password through the SMS code.

Used by ``mailhub demo``; the functions are the real sandbox API, so the demo proves what it shows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

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
