"""The mailbox viewer (delivered and captured outbound mail, never rendering a message's HTML), both
languages on every string, and ``mailhub sandbox serve --console-port``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from tests.console.helpers import DOMAIN, USER, ConsoleClient, add_user

from mailhub.sandbox.console import i18n
from mailhub.sandbox.mailstore.model import STANDARD_MAILBOXES
from mailhub.sandbox.security import Denial

TEMPLATES = Path(i18n.__file__).with_name("templates")
SOURCES = Path(i18n.__file__).parent

CHINESE = (
    "From: =?UTF-8?B?5byg5LiJ?= <buyer@partner.example>\r\n"
    f"To: {USER}\r\n"
    "Subject: =?UTF-8?B?6K+i5Lu35Y2V?=\r\n"
    "Date: Tue, 24 Nov 2026 10:00:00 +0800\r\n"
    "Message-ID: <inquiry-1@partner.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>您好，请报价。</p><script>alert(1)</script>\r\n"
).encode()


def test_user_reads_delivered_mail_as_text_never_as_html(console, client) -> None:
    add_user(console)
    uid = console.sandbox.mail.deliver(USER, CHINESE)
    client.sign_in_user()
    listing = client.get("/mail").text
    assert "询价单" in listing and "张三" in listing
    message = client.get(f"/mail/message?box=INBOX&uid={uid}").text
    assert "询价单" in message and "&lt;script&gt;alert(1)&lt;/script&gt;" in message
    assert "<script>alert" not in message
    assert "收件箱" in listing and "已发送" in listing
    assert "此文件夹没有邮件" in client.get("/mail?box=Sent").text
    assert client.get("/mail/message?box=INBOX&uid=999").status_code == 404


def test_admin_views_a_users_mailbox_and_the_captured_outbound_mail(console, client) -> None:
    add_user(console)
    uid = console.sandbox.mail.deliver(USER, CHINESE)
    capture = console.sandbox.outbound.capture(
        USER, ["buyer@partner.example"], b"From: " + USER.encode() + b"\r\nSubject: Quote 2026\r\n\r\nprice list\r\n"
    )
    console.sandbox.outbound.capture("x@elsewhere.cn", ["y@z.cn"], b"Subject: not ours\r\n\r\nx\r\n")
    client.sign_in_admin()
    assert "询价单" in client.get(f"/admin/mail?user={USER}").text
    assert "询价单" in client.get(f"/admin/mail/message?user={USER}&box=INBOX&uid={uid}").text
    outbound = client.get("/admin/outbound").text
    assert "Quote 2026" in outbound and "buyer@partner.example" in outbound and "not ours" not in outbound
    assert "price list" in client.get(f"/admin/outbound/{capture}").text
    foreign = console.sandbox.outbound.list()[0].id
    assert client.get(f"/admin/outbound/{foreign}").status_code == 404  # another domain's mail


def test_every_string_the_pages_use_exists_in_both_languages() -> None:
    catalog = i18n.catalog()
    for key, texts in catalog.items():
        assert texts["zh"].strip() and texts["en"].strip(), key
    used: set[str] = set()
    for path in [*TEMPLATES.glob("*.html"), *SOURCES.glob("*.py")]:
        text = path.read_text()
        used |= set(re.findall(r"""t\(["']([a-z_]+\.[a-z_0-9]+)["']""", text))
        used |= set(
            re.findall(r"""(?:translate\([^,]+, |notify\(request, "\w+", |message_key=)"([a-z_]+\.[a-z_0-9]+)""", text)
        )
    used = {key for key in used if not key.endswith(("_", "."))}  # prefixes of the keys built below
    used |= {f"policy.mode_{m}" for m in ("off", "all", "scoped")}
    used |= {f"denial.{d.value}" for d in Denial}  # the login log names every refusal
    used |= {f"folder.{name}" for name, _ in STANDARD_MAILBOXES}
    missing = sorted(key for key in used if key not in catalog)
    assert not missing, missing
    assert len(used) > 100  # the scan found the pages' strings


def test_language_comes_from_the_cookie_else_accept_language(client) -> None:
    assert "管理员登录" in client.get("/admin/login").text
    english = ConsoleClient(str(client.http.base_url), **{"Accept-Language": "en-GB,en;q=0.8,zh;q=0.5"})
    assert "Admin sign-in" in english.get("/admin/login").text
    switched = english.get("/lang?to=zh-CN&next=/admin/login")
    assert switched.headers["location"] == "/admin/login"
    assert "管理员登录" in english.get("/admin/login").text  # the cookie beats the header
    assert '<html lang="zh-CN">' in english.get("/").text
    english.close()
    assert i18n.pick_language(None, "fr-FR,en;q=0.5") == "en"
    assert i18n.pick_language(None, "zh-TW") == "zh-CN"
    assert i18n.pick_language("de", None) == "zh-CN"


def test_serve_prints_the_console_url_before_the_ca_line(tmp_path) -> None:
    data = tmp_path / "sandbox"
    ports = ["--imaps-port", "0", "--imap-port", "0", "--smtps-port", "0", "--submission-port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "mailhub", "sandbox", "serve", "--data", str(data), *ports, "--console-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        names, console_url = [], ""
        for line in process.stdout:
            name, _, value = line.strip().partition(" ")
            names.append(name)
            if name == "console":
                console_url = value
            if name == "ca":
                break
        assert names == ["imaps", "imap", "smtps", "submission", "console", "ca"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", console_url)
        response = httpx.get(console_url + "/", timeout=10)
        assert response.status_code == 200 and "沙箱企业邮箱" in response.text
        assert DOMAIN not in response.text
    finally:
        process.terminate()
        process.wait(timeout=10)
