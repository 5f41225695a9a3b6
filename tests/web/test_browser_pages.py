"""Every main page of the hub in Chromium, in zh-CN and en, at laptop and phone widths: the page is in the
chosen language, no raw message key shows, nothing is wider than the screen; a screenshot of each goes to
artifacts/screenshots/hub-<page>-<lang>[-phone].png. Also: the header's language switch, and the phone menu."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from live_hub import LAPTOP, PHONE, new_page, screenshot
from webpages import ADMIN_PASSWORD

from mailhub.outbox import Draft, compose, enqueue
from mailhub.sync.engine import AccountSync
from mailhub.sync.mail_queries import list_messages
from mailhub.web.auth import set_admin_password
from mailhub.web.i18n import catalog

KEY_LEAK = re.compile(r"\b(" + "|".join(sorted({key.split(".")[0] for key in catalog("zh")})) + r")\.[a-z_]+\b")


def run(coroutine):
    """Run a coroutine to the end on its own thread (Playwright's sync API holds this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


def _seed(aliyun, web_app) -> dict[str, int]:
    """One 正常 account with a synced message, one 异常 account, one message in the outbox."""
    service = web_app.state.service
    good = aliyun.user("sales")
    bad = aliyun.user("buyer", imap_smtp=False)  # 开启IMAP/SMTP服务 not ticked for this one
    normal = run(service.add(good, aliyun.client_password(good))).account
    failed = run(service.add(bad, "Main-Passw0rd!", save_unverified=True)).account
    letter = EmailMessage()
    letter["From"] = "Li Wei <li@buyer.example>"
    letter["To"] = good
    letter["Subject"] = "询价 / Request for quotation"
    letter.set_content("请报价 500 件。Please quote for 500 pieces.")
    letter.add_attachment(b"spec", maintype="application", subtype="pdf", filename="spec.pdf")
    aliyun.running.sandbox.mail.deliver(good, letter.as_bytes())
    run(AccountSync(service.store, service.vault, normal.id).sync_once())
    draft = Draft(from_address=good, to=["buyer@overseas.example"], subject="报价单 / Quotation", text="见附件")
    enqueue(service.store, normal.id, compose(draft))
    set_admin_password(service.store, ADMIN_PASSWORD)
    message_id = list_messages(service.store, limit=1)[0].id
    return {"normal": normal.id, "error": failed.id, "message": message_id}


def _pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    return [
        ("/accounts", "accounts"),
        ("/accounts/new?email=sales@acme-trade.cn", "accounts-new"),
        (f"/accounts/{ids['normal']}", "account-normal"),
        (f"/accounts/{ids['error']}", "account-error"),
        (f"/accounts/{ids['normal']}/delete", "account-delete"),
        ("/mail", "mail-inbox"),
        (f"/mail/{ids['message']}", "mail-message"),
        ("/mail/compose", "mail-compose"),
        ("/mail/outbox", "mail-outbox"),
    ]


def _check(page, lang: str) -> None:
    text = page.locator("body").inner_text()
    leak = KEY_LEAK.search(text)
    assert not leak, leak.group(0)
    assert page.locator("html").get_attribute("lang") == lang
    brand = page.locator("header .brand").inner_text()
    assert ("邮箱中心" in brand) == (lang == "zh-CN"), brand
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_main_page_in_both_languages_and_widths(aliyun, web_app, live_hub, browser, lang) -> None:
    ids = _seed(aliyun, web_app)
    short = "zh" if lang == "zh-CN" else "en"
    for suffix, viewport in (("", LAPTOP), ("-phone", PHONE)):
        page = new_page(browser, live_hub.url, lang, viewport)
        page.goto("/accounts")
        page.wait_for_url("**/signin?next=/accounts")
        _check(page, lang)
        screenshot(page, f"hub-signin-{short}{suffix}")
        page.locator("input[name=password]").fill(ADMIN_PASSWORD)
        page.locator("form[action='/signin'] button[type=submit]").click()
        page.wait_for_url("**/accounts")
        for path, name in _pages(ids):
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            _check(page, lang)
            screenshot(page, f"hub-{name}-{short}{suffix}")
        page.context.close()

    page = new_page(browser, live_hub.url, lang)
    page.goto("/setup")  # already set: leads to sign-in
    page.wait_for_url("**/signin")
    page.context.close()


def test_language_switch_and_the_message_frame(aliyun, web_app, live_hub, browser) -> None:
    ids = _seed(aliyun, web_app)
    page = new_page(browser, live_hub.url, "en")
    page.goto("/signin")
    page.locator("input[name=password]").fill(ADMIN_PASSWORD)
    page.locator("form[action='/signin'] button[type=submit]").click()
    page.wait_for_url("**/accounts")
    assert page.locator("h1").inner_text() == "Mailboxes"
    page.get_by_role("link", name="中文").click()
    page.wait_for_url("**/accounts")
    assert page.locator("h1").inner_text() == "邮箱账号"
    row = page.locator(f"tr[data-account-id='{ids['error']}']")
    assert row.locator(".badge").inner_text() == "异常"
    assert row.locator(".cause").inner_text().strip()  # the cause beside the badge

    page.goto(f"/mail/{ids['message']}")
    frame = page.frame_locator("iframe.message-body")
    assert "请报价 500 件" in frame.locator("body").inner_text()
    assert page.locator("iframe.message-body").get_attribute("sandbox") == "allow-popups allow-popups-to-escape-sandbox"
    page.context.close()
