"""The seed's story in Debian's Chromium: the admin allows third-party clients and switches IMAP/SMTP on
for a user; the user generates a client password with the SMS code and a remark, logs in over real IMAP
with it, and deleting it in the page ends the live IDLE session with BYE. Screenshots of every page in
both languages (and at phone width) go to artifacts/screenshots/."""

from __future__ import annotations

import re
import socket
import ssl

import pytest
from tests.browser import screenshot
from tests.console.helpers import ADMIN_PASSWORD, DOMAIN, PHONE, USER, USER_PASSWORD, add_user

from mailhub.sandbox.console.admins import ConsoleAdmins

LAPTOP = {"width": 1280, "height": 800}
PHONE_SCREEN = {"width": 390, "height": 844}
KEY_LEAK = re.compile(
    r"\b(app|nav|common|home|login|admin_login|setup|user_login|policy|users|audit|denial|security|new|created|"
    r"delete|phone|mailbox|folder|outbound|error)\.[a-z_]+\b"
)


class ImapLine:
    """A raw IMAPS connection read line by line (what a client's IDLE sees); every read has a 10 s bound."""

    def __init__(self, port: int, ca_file) -> None:
        context = ssl.create_default_context(cafile=str(ca_file))
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.conn = context.wrap_socket(raw, server_hostname="imap.qiye.aliyun.com")
        self.reader = self.conn.makefile("rb")
        self.reader.readline()  # greeting

    def command(self, tag: str, text: str) -> bytes:
        self.conn.sendall(f"{tag} {text}\r\n".encode())
        while True:
            line = self.reader.readline()
            if not line or line.startswith(tag.encode() + b" "):
                return line

    def send(self, text: str) -> None:
        self.conn.sendall(text.encode() + b"\r\n")

    def line(self) -> bytes:
        return self.reader.readline()

    def close(self) -> None:
        self.conn.close()


def new_page(browser, base_url: str, lang: str = "zh-CN", viewport: dict | None = None):
    context = browser.new_context(base_url=base_url, locale=lang, viewport=viewport or LAPTOP)
    if lang:
        host = base_url.split("//", 1)[1].split(":")[0]
        context.add_cookies([{"name": "console_lang", "value": lang, "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_seed_story_admin_then_user_then_delete_ends_idle(sandbox_service, browser) -> None:
    sandbox = sandbox_service.sandbox
    sandbox.directory.add_domain(DOMAIN, "aliyun-standard")
    base = sandbox_service.console_url

    # -- the admin: first run, 允许使用第三方客户端, add the user, 开启IMAP/SMTP服务 -------------------
    admin = new_page(browser, base)
    admin.goto("/admin/login")
    first_run = admin.locator("#first-run")
    first_run.locator("select[name=domain]").select_option(DOMAIN)
    first_run.locator("input[name=password]").fill(ADMIN_PASSWORD)
    first_run.locator("input[name=password2]").fill(ADMIN_PASSWORD)
    first_run.get_by_role("button").click()
    admin.wait_for_url("**/admin/policy")
    rule = admin.locator("fieldset[data-rule=third_party]")
    rule.get_by_label("全体成员").check()
    admin.get_by_role("button", name="保存").click()
    admin.get_by_text("安全策略已保存").wait_for()
    assert sandbox.security.get_policy(DOMAIN).third_party == "all"

    admin.get_by_role("link", name="用户与部门").click()
    form = admin.locator("#add-user")
    form.locator("input[name=local_part]").fill("sales")
    form.locator("input[name=password]").fill(USER_PASSWORD)
    form.locator("input[name=phone]").fill(PHONE)
    form.locator("input[name=department]").fill("外贸部")
    form.get_by_role("button").click()
    row = admin.locator(f"tr[data-address='{USER}']")
    assert "未开启" in row.inner_text()
    row.get_by_role("button", name="开启").click()
    admin.locator(f"tr[data-address='{USER}'] .state.on").wait_for()
    assert sandbox.directory.get_user(USER).imap_smtp_enabled

    # -- the user: 开启 → 生成新密码 → SMS code → remark → the password, once ---------------------------
    user = new_page(browser, base)
    user.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    user.goto("/mail/login")
    user.locator("input[name=address]").fill(USER)
    user.locator("input[name=password]").fill(USER_PASSWORD)
    user.get_by_role("button", name="登录").click()
    user.wait_for_url("**/settings/security")
    user.get_by_role("button", name="开启").click()
    user.get_by_role("button", name="生成新密码").click()
    user.wait_for_url("**/settings/security/new")
    sms = user.locator(".phone .sms-text").first.inner_text()
    code = re.search(r"验证码 (\d{6})", sms).group(1)  # read off the sandbox phone, as a person would
    user.locator("input[name=code]").fill(code)
    user.locator("input[name=remark]").fill("来发信")
    user.get_by_role("button", name="确定").click()
    password = user.locator("#client-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{16}", password)
    user.get_by_role("button", name="复制").click()
    user.get_by_role("button", name="已复制").wait_for()
    assert user.evaluate("navigator.clipboard.readText()") == password
    screenshot(user, "console-story-password-created-zh")

    # -- a real IMAP client logs in with it and idles --------------------------------------------------
    imap = ImapLine(sandbox_service.ports["imaps"], sandbox_service.ca_file)
    try:
        assert imap.command("a1", f"LOGIN {USER} {password}").startswith(b"a1 OK")
        assert imap.command("a2", "SELECT INBOX").startswith(b"a2 OK")
        imap.send("a3 IDLE")
        assert imap.line().startswith(b"+")

        user.get_by_role("link", name="我已复制，返回列表").click()
        listed = user.locator("table.passwords tbody tr").first
        assert "来发信" in listed.inner_text() and "IMAP" in listed.inner_text()
        assert password not in user.content()
        listed.get_by_role("link", name="删除").click()
        user.get_by_text("确定删除备注为“来发信”的安全密码吗？").wait_for()
        user.get_by_role("button", name="确定删除").click()
        user.get_by_text("安全密码已删除").wait_for()

        ending = [imap.line() for _ in range(2)]  # the BYE (and the connection closing after it)
        assert any(line.startswith(b"* BYE") for line in ending), ending
    finally:
        imap.close()
    assert sandbox.security.list_client_passwords(USER) == []

    # the admin's login log shows the allowed IMAP login, without the password
    admin.get_by_role("link", name="登录日志").click()
    log_text = admin.locator("table.audit").inner_text()
    assert USER in log_text and "成功" in log_text and password not in admin.content()


def _seeded(sandbox_service) -> None:
    """A domain with data on every page: a user who used a client password, mail in, mail out."""
    sandbox = sandbox_service.sandbox
    sandbox.directory.add_domain(DOMAIN, "aliyun-standard")
    ConsoleAdmins(sandbox.db).set_password(DOMAIN, ADMIN_PASSWORD, known_domains=[DOMAIN])
    add_user(sandbox_service)
    sandbox.add_user(f"boss@{DOMAIN}", "Boss-Passw0rd", "13900139000", "管理层")
    sandbox.security.set_policy(DOMAIN, third_party="scoped", allow=["dept:外贸部"], company_ip_ranges=["10.0.0.0/8"])
    secret = sandbox_service.new_client_password(USER, "来发信")
    sandbox.security.authenticate(USER, secret, "imap", "127.0.0.1")
    sandbox.security.authenticate(USER, "wrong", "smtp", "127.0.0.1")
    sandbox.security.request_code(USER)
    sandbox.mail.deliver(
        USER, b"From: buyer@partner.example\r\nSubject: =?UTF-8?B?6K+i5Lu35Y2V?=\r\n\r\nPlease quote.\r\n"
    )
    sandbox.outbound.capture(USER, ["buyer@partner.example"], f"From: {USER}\r\nSubject: Quote\r\n\r\nx\r\n".encode())


ADMIN_PAGES = ["/admin/policy", "/admin/users", "/admin/audit", f"/admin/mail?user={USER}", "/admin/outbound"]
USER_PAGES = [
    "/settings/security",
    "/settings/security/new",
    "/settings/security/1/delete",
    "/mail",
    "/mail/message?uid=1",
]


def _sign_in(page, path: str, address: str, password: str) -> None:
    page.goto(path)
    page.locator(f"form[action='{path}'] input[name=address]").fill(address)
    page.locator("input[name=password]").first.fill(password)
    page.locator(f"form[action='{path}'] button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_in_both_languages_at_laptop_and_phone_width(sandbox_service, browser, lang) -> None:
    _seeded(sandbox_service)
    base = sandbox_service.console_url
    short = "zh" if lang == "zh-CN" else "en"
    for width_name, viewport in (("", LAPTOP), ("-phone", PHONE_SCREEN)):
        anonymous = new_page(browser, base, lang, viewport)
        for path, name in (("/", "home"), ("/admin/login", "admin-login"), ("/mail/login", "user-login")):
            anonymous.goto(path)
            _check(anonymous, lang)
            screenshot(anonymous, f"console-{name}-{short}{width_name}")
        admin = new_page(browser, base, lang, viewport)
        _sign_in(admin, "/admin/login", f"postmaster@{DOMAIN}", ADMIN_PASSWORD)
        user = new_page(browser, base, lang, viewport)
        _sign_in(user, "/mail/login", USER, USER_PASSWORD)
        for page, paths in ((admin, ADMIN_PAGES), (user, USER_PAGES)):
            for path in paths:
                response = page.goto(path)
                assert response is not None and response.status == 200, path
                _check(page, lang)
                name = re.sub(r"[?=&@]+", "-", path.strip("/")).replace("/", "-")
                screenshot(page, f"console-{name}-{short}{width_name}")
        for page in (anonymous, admin, user):
            page.context.close()


def _check(page, lang: str) -> None:
    """Every string translated (no raw message key shows), the page in the chosen language, and nothing
    wider than the screen (a phone must not scroll sideways except inside a table)."""
    text = page.locator("body").inner_text()
    assert not KEY_LEAK.search(text), KEY_LEAK.search(text).group(0)
    assert page.locator("html").get_attribute("lang") == lang
    chrome = page.locator("header.topbar").inner_text()
    assert ("沙箱企业邮箱" in chrome) == (lang == "zh-CN"), chrome
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"
