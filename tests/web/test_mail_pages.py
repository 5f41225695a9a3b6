"""电子邮件 through the pages, against the sandbox: the sync engine fills the inbox, the message opens in a
sandboxed frame with its scripts gone, attachments download, compose puts mail in the outbox and the outbox
worker sends it (the sandbox captures it)."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
from webpages import ZH, bind_through_form, csrf_of

from mailhub.outbox import run_outbox
from mailhub.sync.engine import AccountSync


def _letter(address: str) -> bytes:
    message = EmailMessage()
    message["From"] = "王经理 <wang@buyer.example>"
    message["To"] = address
    message["Subject"] = "询价：LED 灯条 500 件"
    message["Message-ID"] = "<rfq-1@buyer.example>"
    message.set_content("您好，请报价。")
    message.add_alternative(
        '<p>您好，<b>请报价</b>。</p><script>alert(1)</script><img src="https://tracker.example/p.gif">'
        '<a href="javascript:alert(2)">点我</a>',
        subtype="html",
    )
    message.add_attachment(b"%PDF-1.4 spec", maintype="application", subtype="pdf", filename="规格书.pdf")
    return message.as_bytes()


async def _bound(admin: httpx.AsyncClient, aliyun, web_app) -> tuple[str, int]:
    address = aliyun.user("mail")
    answer = await bind_through_form(admin, address, aliyun.client_password(address))
    assert answer.status_code == 200
    account_id = web_app.state.service.get(address).id
    return address, account_id


async def test_inbox_message_view_and_attachment(admin: httpx.AsyncClient, aliyun, web_app) -> None:
    address, account_id = await _bound(admin, aliyun, web_app)
    aliyun.running.sandbox.mail.deliver(address, _letter(address))
    service = web_app.state.service
    await AccountSync(service.store, service.vault, account_id).sync_once()

    inbox = await admin.get("/mail", headers=ZH)
    assert "询价：LED 灯条 500 件" in inbox.text and "王经理" in inbox.text and 'class="unread"' in inbox.text
    assert "询价" in (await admin.get("/mail?q=LED")).text
    assert "询价" not in (await admin.get("/mail?q=nothing-like-this")).text
    assert "询价" in (await admin.get(f"/mail?account={account_id}&folder=INBOX&unread=1")).text

    message_id = int(re.search(r'data-message-id="(\d+)"', inbox.text).group(1))
    page = await admin.get(f"/mail/{message_id}", headers=ZH)
    assert f'src="/mail/{message_id}/body" sandbox="allow-popups' in page.text
    assert "规格书.pdf" in page.text

    body = await admin.get(f"/mail/{message_id}/body")
    assert "<b>请报价</b>" in body.text
    assert "<script" not in body.text and "javascript:" not in body.text
    assert body.headers["content-security-policy"].startswith("default-src 'none'")
    assert body.headers["x-frame-options"] == "SAMEORIGIN"

    download = await admin.get(f"/mail/{message_id}/attachments/1")
    assert download.content == b"%PDF-1.4 spec"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-type"] == "application/octet-stream"
    assert (await admin.get(f"/mail/{message_id}/attachments/9")).status_code == 404


async def test_compose_with_attachment_goes_through_the_outbox(admin: httpx.AsyncClient, aliyun, web_app) -> None:
    _address, account_id = await _bound(admin, aliyun, web_app)
    form = await admin.get("/mail/compose", headers=ZH)
    assert f'<option value="{account_id}"' in form.text
    data = {
        "csrf": csrf_of(form.text),
        "account": str(account_id),
        "to": "buyer@overseas.example；li@overseas.example",
        "subject": "报价单 / Quotation",
        "text": "附件是报价单。",
    }
    files = {"attachments": ("报价单.xlsx", b"PK\x03\x04 sheet", "application/vnd.ms-excel")}
    sent = await admin.post("/mail/compose", data=data, files=files)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/mail/outbox")

    queued = await admin.get("/mail/outbox", headers=ZH)
    assert "报价单 / Quotation" in queued.text and 'data-state="queued"' in queued.text and "排队中" in queued.text

    service = web_app.state.service
    await run_outbox(service.store, service.vault, once=True)
    done = await admin.get("/mail/outbox", headers=ZH)
    assert 'data-state="sent"' in done.text and "已发送" in done.text
    captured = aliyun.running.sandbox.outbound.list()
    assert any(item.subject == "报价单 / Quotation" for item in captured)

    no_recipient = await admin.post("/mail/compose", data={**data, "to": ""})
    assert no_recipient.status_code == 400 and "收件人" in no_recipient.text
