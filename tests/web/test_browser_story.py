"""The seed's whole story in Debian's Chromium, across both web UIs: in the sandbox console the admin allows
third-party clients and switches IMAP/SMTP on for a user; the user generates a client password with the SMS
code and a remark; in the hub, 新建 with that password → 正常; the user deletes the password in the console and
the hub's open accounts page turns 异常 with the cause, live (server-sent events, no reload)."""

from __future__ import annotations

import re

from live_hub import new_page, screenshot
from webpages import ADMIN_PASSWORD, DOMAIN

CONSOLE_ADMIN_PASSWORD = "Console-Admin-1"
USER = f"sales@{DOMAIN}"
USER_PASSWORD = "Main-Passw0rd!"
PHONE = "13800138000"
LIVE_TIMEOUT_MS = 60_000  # an upper bound against hangs; the page normally turns within seconds


def _console_admin(browser, console_url: str) -> None:
    """安全管理 › 账户安全策略: 允许使用第三方客户端 for everyone; add the user; 开启IMAP/SMTP服务."""
    admin = new_page(browser, console_url)
    admin.goto("/admin/login")
    first_run = admin.locator("#first-run")
    first_run.locator("select[name=domain]").select_option(DOMAIN)
    first_run.locator("input[name=password]").fill(CONSOLE_ADMIN_PASSWORD)
    first_run.locator("input[name=password2]").fill(CONSOLE_ADMIN_PASSWORD)
    first_run.get_by_role("button").click()
    admin.wait_for_url("**/admin/policy")
    admin.locator("fieldset[data-rule=third_party]").get_by_label("全体成员").check()
    admin.get_by_role("button", name="保存").click()
    admin.get_by_text("安全策略已保存").wait_for()
    admin.get_by_role("link", name="用户与部门").click()
    form = admin.locator("#add-user")
    form.locator("input[name=local_part]").fill("sales")
    form.locator("input[name=password]").fill(USER_PASSWORD)
    form.locator("input[name=phone]").fill(PHONE)
    form.locator("input[name=department]").fill("外贸部")
    form.get_by_role("button").click()
    admin.locator(f"tr[data-address='{USER}']").get_by_role("button", name="开启").click()
    admin.locator(f"tr[data-address='{USER}'] .state.on").wait_for()
    admin.context.close()


def _console_user_new_password(user) -> str:
    """账户与安全 › 三方客户端安全密码: 开启 → 生成新密码 → the SMS code → remark 来发信 → the password, once."""
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
    user.get_by_role("link", name="我已复制，返回列表").click()
    return password


def test_seed_story_bind_then_revoke_shows_error_live(aliyun, live_hub, browser) -> None:
    running = aliyun.running
    running.sandbox.directory.add_domain(DOMAIN, "aliyun-standard")

    _console_admin(browser, running.console_url)
    user = new_page(browser, running.console_url)
    client_password = _console_user_new_password(user)
    assert re.fullmatch(r"[A-Za-z0-9]{16}", client_password)

    # -- the hub: first run sets the admin password ----------------------------------------------------------
    hub = new_page(browser, live_hub.url)
    hub.goto("/")
    hub.wait_for_url("**/setup")
    hub.locator("input[name=password]").fill(ADMIN_PASSWORD)
    hub.locator("input[name=confirm]").fill(ADMIN_PASSWORD)
    hub.get_by_role("button", name="保存并进入").click()
    hub.wait_for_url("**/accounts")

    # -- 新建: the address finds Alibaba (by MX) and its steps; the client password; 验证并保存 → 正常 ----------
    hub.get_by_role("link", name="新建").first.click()
    hub.locator("input[name=email]").fill(USER)
    hub.locator("input[name=email]").press("Tab")  # leaving the field detects the provider
    hub.locator("#detected [data-provider=aliyun-standard]").wait_for()
    steps = hub.locator("#steps").inner_text()
    assert "允许使用第三方客户端" in steps and "开启IMAP/SMTP服务" in steps and "生成新密码" in steps
    assert hub.locator("#password-kind").inner_text() == "（三方客户端安全密码）"
    hub.locator("input[name=password]").fill(client_password)
    screenshot(hub, "hub-story-new-zh")
    hub.get_by_role("button", name="验证并保存").click()
    hub.locator("#result .badge-normal").wait_for(timeout=LIVE_TIMEOUT_MS)
    assert "验证通过，已保存" in hub.locator("#result").inner_text()
    hub.get_by_role("link", name="返回邮箱账号列表").first.click()
    row = hub.locator("tr[data-account-id]", has_text=USER)
    assert row.locator(".badge").inner_text() == "正常"
    assert client_password not in hub.content()
    screenshot(hub, "hub-story-normal-zh")

    # -- the user deletes the password in the console; the open hub page turns 异常, no reload ----------------
    hub.evaluate("window.__notReloaded = true")
    user.locator("table.passwords tbody tr").first.get_by_role("link", name="删除").click()
    user.get_by_role("button", name="确定删除").click()
    user.get_by_text("安全密码已删除").wait_for()

    error_badge = hub.locator("tr[data-account-id] .badge-error")
    error_badge.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert error_badge.inner_text() == "异常"
    assert hub.evaluate("window.__notReloaded") is True  # the table was swapped in place by the event
    cause = hub.locator("tr[data-account-id] .cause").inner_text()
    account = live_hub.app.state.service.get(USER)
    assert account.status.value == "error" and account.diagnosis_code == "password_wrong_or_revoked"
    assert cause == account.diagnosis_for("zh")["title"]
    screenshot(hub, "hub-story-error-zh")

    hub.locator("tr[data-account-id] a", has_text=USER).click()
    steps = hub.locator(".diagnosis ol.steps").inner_text()
    assert steps.strip()
    screenshot(hub, "hub-story-diagnosis-zh")
    hub.context.close()
    user.context.close()
