"""The console's pages as an admin and a user meet them, over real HTTP: each change lands in the same
sandbox the IMAP/SMTP gate reads, and the client password is visible exactly once."""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
import subprocess
import sys

import pytest
from tests.console.helpers import ADMIN_PASSWORD, DOMAIN, PHONE, USER, USER_PASSWORD, ConsoleClient, add_user

from mailhub.sandbox.console.admins import ConsoleAdmins


def imap_login(console, password: str) -> None:
    context = ssl.create_default_context(cafile=str(console.ca_file))
    with imaplib.IMAP4_SSL("127.0.0.1", console.ports["imaps"], ssl_context=context, timeout=10) as imap:
        imap.login(USER, password)


def test_first_run_sets_postmasters_password_then_offers_sign_in_only(sandbox_service) -> None:
    sandbox_service.sandbox.directory.add_domain("fresh.cn", "alibaba-foreign-trade")
    client = ConsoleClient(sandbox_service.console_url)
    page = client.get("/admin/login").text
    assert "首次使用：设置管理员密码" in page and "postmaster@fresh.cn" in page
    mismatch = client.post(
        "/admin/setup", {"domain": "fresh.cn", "password": "Fresh-Pass1", "password2": "other"}, page="/admin/login"
    )
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.text
    short = client.post(
        "/admin/setup", {"domain": "fresh.cn", "password": "short", "password2": "short"}, page="/admin/login"
    )
    assert short.status_code == 422 and "至少需要 8 个字符" in short.text
    done = client.post(
        "/admin/setup",
        {"domain": "fresh.cn", "password": "Fresh-Pass1", "password2": "Fresh-Pass1"},
        page="/admin/login",
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/policy"
    assert "管理员密码已设置" in client.get("/admin/policy").text
    client.sign_out()
    assert "首次使用" not in client.get("/admin/login").text
    again = client.post(
        "/admin/setup",
        {"domain": "fresh.cn", "password": "Taken-Over1", "password2": "Taken-Over1"},
        page="/admin/login",
    )
    assert again.status_code == 409
    assert client.post("/admin/login", {"address": "postmaster@fresh.cn", "password": "Fresh-Pass1"}).status_code == 303
    client.close()


def test_admin_adds_a_user_and_switches_imap_smtp_on(console, client) -> None:
    client.sign_in_admin()
    response = client.post(
        "/admin/users", {"local_part": "sales", "password": USER_PASSWORD, "phone": PHONE, "department": "外贸部"}
    )
    assert response.status_code == 303
    page = client.get("/admin/users").text
    assert USER in page and "外贸部" in page and "未开启" in page and "用户已添加" in page
    user = console.sandbox.directory.get_user(USER)
    assert user is not None and user.department == "外贸部" and not user.imap_smtp_enabled

    duplicate = client.post("/admin/users", {"local_part": "sales", "password": "x-123456", "phone": PHONE})
    assert duplicate.status_code == 422 and "已存在" in duplicate.text

    assert client.post("/admin/users/imap-smtp", {"address": USER, "enabled": "on"}, page="/admin/users").is_redirect
    assert console.sandbox.directory.get_user(USER).imap_smtp_enabled
    other = client.post("/admin/users/imap-smtp", {"address": "boss@other.cn", "enabled": "on"}, page="/admin/users")
    assert other.status_code == 403  # another domain's user is not this admin's to change

    assert client.post("/admin/departments", {"name": "财务部"}, page="/admin/users").is_redirect
    assert console.sandbox.directory.list_departments(DOMAIN) == ["外贸部", "财务部"]


def test_admin_sets_the_account_security_policy(console, client) -> None:
    add_user(console, third_party="off")
    client.sign_in_admin()
    page = client.get("/admin/policy").text
    assert "允许使用第三方客户端" in page and "强制启用安全密码" in page
    form = {
        "third_party": "scoped",
        "allow": ["dept:外贸部"],
        "exceptions": [f"user:{USER}"],
        "company_ip_ranges": "203.0.113.0/24\n198.51.100.7",
        "force_security_password": "all",
    }
    response = client.http.post("/admin/policy", data={"csrf": client.csrf("/admin/policy"), **form})
    assert response.status_code == 303
    policy = console.sandbox.security.get_policy(DOMAIN)
    assert policy.third_party == "scoped" and policy.allow == ("dept:外贸部",)
    assert policy.exceptions == (f"user:{USER}",)
    assert policy.company_ip_ranges == ("203.0.113.0/24", "198.51.100.7/32")
    assert policy.force_security_password == "all"
    page = client.get("/admin/policy").text
    assert "安全策略已保存" in page and 'value="dept:外贸部" checked' in page

    bad = client.post("/admin/policy", {"third_party": "all", "company_ip_ranges": "not-an-ip"})
    assert bad.status_code == 422 and "不是有效的 IP 或 CIDR" in bad.text
    assert console.sandbox.security.get_policy(DOMAIN).third_party == "scoped"  # unchanged


def test_login_log_shows_this_domains_attempts_with_their_reason(console, client) -> None:
    add_user(console, imap_smtp=False)
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(console, USER_PASSWORD)
    client.sign_in_admin()
    page = client.get("/admin/audit").text
    assert USER in page and "未开启IMAP/SMTP服务" in page and USER_PASSWORD not in page


def test_user_generates_a_client_password_seen_once_and_it_logs_in(console, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    add_user(console)
    assert client.sign_in_user().status_code == 303
    assert "未开启" in client.get("/settings/security").text
    assert client.post("/settings/security/enable", page="/settings/security").is_redirect
    assert client.post("/settings/security/code", page="/settings/security").headers["location"] == (
        "/settings/security/new"
    )
    page = client.get("/settings/security/new").text
    code = console.sandbox.security.sms_messages(USER)[-1].code
    assert "138****8000" in page and code in page  # the sandbox phone panel shows the SMS

    wrong = client.post(
        "/settings/security/create",
        {"code": "000000" if code != "000000" else "111111", "remark": "来发信"},
        page="/settings/security/new",
    )
    assert wrong.status_code == 422 and "验证码错误" in wrong.text
    created = client.post(
        "/settings/security/create", {"code": code, "remark": "来发信"}, page="/settings/security/new"
    )
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    password = re.search(r'<output id="client-password" class="password">([A-Za-z0-9]{16})</output>', created.text)
    assert password, created.text
    secret = password.group(1)
    assert "只显示这一次" in created.text

    imap_login(console, secret)
    listing = client.get("/settings/security").text
    assert "来发信" in listing and "IMAP" in listing and "127.0.0.1" in listing
    for path in ("/settings/security", "/settings/security/new", "/admin/audit", "/mail"):
        assert secret not in client.get(path).text
    assert secret not in caplog.text


def test_deleting_asks_first_then_revokes_at_once(console, client) -> None:
    add_user(console)
    secret = console.new_client_password(USER, "旧电脑")
    password_id = console.sandbox.security.list_client_passwords(USER)[0].id
    client.sign_in_user()
    confirm = client.get(f"/settings/security/{password_id}/delete")
    assert confirm.status_code == 200 and "旧电脑" in confirm.text and "确定删除" in confirm.text
    assert console.sandbox.security.list_client_passwords(USER)  # asking deleted nothing
    done = client.post(f"/settings/security/{password_id}/delete", page=f"/settings/security/{password_id}/delete")
    assert done.status_code == 303
    assert console.sandbox.security.list_client_passwords(USER) == []
    assert "安全密码已删除" in client.get("/settings/security").text
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(console, secret)


def test_admin_password_set_by_the_cli_signs_in(console, tmp_path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mailhub",
            "sandbox",
            "admin",
            "set-password",
            DOMAIN,
            "--password-stdin",
            "--data",
            str(console.data_dir),
        ],
        input="Cli-Passw0rd\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"postmaster@{DOMAIN}" in result.stdout and "Cli-Passw0rd" not in result.stdout
    client = ConsoleClient(console.console_url)
    assert client.sign_in_admin(ADMIN_PASSWORD).status_code == 401
    assert client.sign_in_admin("Cli-Passw0rd").status_code == 303
    client.close()
    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "mailhub",
            "sandbox",
            "admin",
            "set-password",
            "nowhere.cn",
            "--password-stdin",
            "--data",
            str(console.data_dir),
        ],
        input="Cli-Passw0rd\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 1 and "nowhere.cn" in unknown.stderr
    assert not ConsoleAdmins(console.sandbox.db).has_password("nowhere.cn")
