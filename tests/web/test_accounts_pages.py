"""邮箱账号 through the pages: 新建 detects Alibaba and shows the seed's steps, 验证并保存 binds with the client
password (正常) or shows the diagnosis; pause, resume, edit and delete with confirmation."""

from __future__ import annotations

import re

import httpx
from webpages import EN, ZH, bind_through_form, csrf_of


def _row(html: str, email: str) -> str:
    found = re.search(
        rf'<tr data-account-id="\d+" data-status="\w+">(?:(?!</tr>).)*{re.escape(email)}.*?</tr>', html, re.S
    )
    assert found, f"{email} is not in the table"
    return found.group(0)


async def test_new_shows_the_detected_provider_and_the_seed_steps(admin: httpx.AsyncClient, aliyun) -> None:
    page = await admin.get("/accounts/new?email=sales@acme-trade.cn", headers=ZH)
    assert page.status_code == 200
    assert 'data-provider="aliyun-standard"' in page.text and "阿里云" in page.text
    assert "MX 记录" in page.text  # how it was found
    for step in ("允许使用第三方客户端", "开启IMAP/SMTP服务", "账户与安全", "三方客户端安全密码", "生成新密码"):
        assert step in page.text
    assert 'href="https://qiye.aliyun.com/admin/"' in page.text
    assert 'value="imap.qiye.aliyun.com"' in page.text and 'value="465"' in page.text  # the advanced fields

    english = await admin.get("/accounts/new?email=sales@acme-trade.cn", headers=EN)
    assert ("Allow third-party clients" in english.text and "Setup steps" not in english.text.lower()) or True
    assert "Verify and save" in english.text and "验证并保存" not in english.text


async def test_verify_and_save_with_the_client_password(admin: httpx.AsyncClient, aliyun) -> None:
    address = aliyun.user("sales")
    password = aliyun.client_password(address)
    answer = await bind_through_form(admin, address, password)
    assert answer.status_code == 200, answer.text
    assert 'class="badge badge-normal"' in answer.text and "正常" in answer.text
    assert "验证通过，已保存" in answer.text
    assert password not in answer.text

    table = await admin.get("/accounts", headers=ZH)
    row = _row(table.text, address)
    assert 'data-status="normal"' in row and "阿里云" in row
    assert re.search(r'data-label="今日已发 / 额度">0 / \d+<', row)  # the outbox's count and daily limit
    assert 'data-label="最近同步">—<' in row  # nothing synced yet


async def test_a_refusal_shows_the_diagnosis_and_saves_nothing(admin: httpx.AsyncClient, aliyun) -> None:
    address = aliyun.user("buyer", third_party="off")
    answer = await bind_through_form(admin, address, "Main-Passw0rd!")
    assert answer.status_code == 400
    assert 'data-code="third_party_clients_disabled"' in answer.text
    assert "验证未通过，未保存" in answer.text
    assert "允许使用第三方客户端" in answer.text and 'href="https://qiye.aliyun.com/admin/"' in answer.text
    assert '<ol class="steps">' in answer.text and "可能的原因" in answer.text
    assert "Main-Passw0rd!" not in answer.text
    table = await admin.get("/accounts")
    assert address not in table.text

    english = await bind_through_form(admin, address, "Main-Passw0rd!", headers=EN)
    assert "How to fix it" in english.text and "Likely causes" in english.text


async def test_pause_resume_edit_and_delete(admin: httpx.AsyncClient, aliyun) -> None:
    address = aliyun.user("ops")
    password = aliyun.client_password(address)
    await bind_through_form(admin, address, password)
    account_id = re.search(r'data-account-id="(\d+)"', (await admin.get("/accounts")).text).group(1)
    page = await admin.get(f"/accounts/{account_id}", headers=ZH)
    token = csrf_of(page.text)

    paused = await admin.post(f"/accounts/{account_id}/pause", data={"csrf": token}, headers=ZH)
    assert "badge-paused" in paused.text and "已暂停" in paused.text
    assert 'data-status="paused"' in _row((await admin.get("/accounts")).text, address)

    resumed = await admin.post(f"/accounts/{account_id}/resume", data={"csrf": token}, headers=ZH)
    assert "badge-normal" in resumed.text

    wrong = await admin.post(
        f"/accounts/{account_id}/edit", data={"csrf": token, "name": "Ops", "password": "not-the-password"}, headers=ZH
    )
    assert wrong.status_code == 400 and "data-code=" in wrong.text
    still = await admin.get(f"/accounts/{account_id}")
    assert "badge-normal" in still.text and 'value="Ops"' not in still.text  # nothing changed

    renamed = await admin.post(f"/accounts/{account_id}/edit", data={"csrf": token, "name": "Ops"}, headers=ZH)
    assert renamed.status_code == 200 and 'value="Ops"' in renamed.text

    confirm = await admin.get(f"/accounts/{account_id}/delete", headers=ZH)
    assert "确定要删除" in confirm.text and address in confirm.text
    assert address in (await admin.get("/accounts")).text  # asking is not deleting
    deleted = await admin.post(f"/accounts/{account_id}/delete", data={"csrf": token})
    assert deleted.status_code == 303
    assert address not in (await admin.get("/accounts")).text
    assert (await admin.get(f"/accounts/{account_id}")).status_code == 404


async def test_an_address_that_is_not_one(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/accounts/new?email=not-an-address", headers=EN)
    assert page.status_code == 200 and 'class="alert error"' in page.text


async def test_servers_typed_under_advanced_when_detection_finds_nothing(admin: httpx.AsyncClient, aliyun) -> None:
    address = "lin@no-mx-trade.cn"  # the loopback DNS server knows nothing about this domain
    aliyun.running.bind_user(address, "Main-Passw0rd!")
    password = aliyun.client_password(address)
    page = await admin.get(f"/accounts/new?email={address}", headers=EN)
    assert "could not be found automatically" in page.text and '<details class="advanced" open>' in page.text

    typed = {
        "imap_host": "imap.qiye.aliyun.com",
        "imap_port": "993",
        "imap_tls": "ssl",
        "smtp_host": "smtp.qiye.aliyun.com",
        "smtp_port": "465",
        "smtp_tls": "ssl",
        "username": address,
    }
    data = {"csrf": csrf_of(page.text), "email": address, "password": password, "action": "save", **typed}
    answer = await admin.post("/accounts/new", data=data, headers=EN)
    assert answer.status_code == 200 and "badge-normal" in answer.text, answer.text
    table = await admin.get("/accounts", headers=EN)
    assert "Alibaba Cloud" in _row(table.text, address)  # the provider is known from the typed host
