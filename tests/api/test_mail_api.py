"""Mail, send/outbox, events and webhooks through the API, against the sandbox.

The sync engine pulls delivered mail into the hub; the API lists, reads, marks and deletes it. A program
queues a message with /send, the outbox worker sends it, and the sandbox captures it; the supervisor's event
log (a real ``Runtime``, not running) records what happened for /events.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage

import httpx
import pytest

from mailhub.app import create_app
from mailhub.outbox import run_outbox
from mailhub.runtime import Runtime
from mailhub.sync.engine import AccountSync


def _letter(address: str) -> bytes:
    message = EmailMessage()
    message["From"] = "王经理 <wang@buyer.example>"
    message["To"] = address
    message["Subject"] = "询价：LED 灯条 500 件"
    message["Message-ID"] = "<rfq-api-1@buyer.example>"
    message.set_content("您好，请报价。")
    message.add_alternative("<p>您好，<b>请报价</b>。</p><script>alert(1)</script>", subtype="html")
    message.add_attachment(b"%PDF-1.4 spec", maintype="application", subtype="pdf", filename="规格书.pdf")
    return message.as_bytes()


@pytest.fixture(name="runtime_client")
async def runtime_client_fixture(hub):
    """A client for an app wired to a real ``Runtime`` (its event log and webhooks), as ``mailhub serve`` does."""
    runtime = Runtime(hub.service)
    app = create_app(service=hub.service, runtime=runtime, web=False)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {hub.token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test", headers=headers) as client:
        yield client


async def _bind(hub, client, local: str) -> tuple[str, int]:
    address, client_password = hub.bound_user(local)
    created = await client.post("/api/v1/accounts", json={"email": address, "password": client_password})
    assert created.status_code == 201, created.text
    return address, created.json()["account"]["id"]


async def test_synced_mail_is_listed_read_marked_and_deleted(hub, client) -> None:
    address, account_id = await _bind(hub, client, "inbox")
    hub.aliyun.running.sandbox.mail.deliver(address, _letter(address))
    await AccountSync(hub.service.store, hub.service.vault, account_id).sync_once()

    listed = (await client.get("/api/v1/messages", params={"account": str(account_id), "unread": "true"})).json()
    assert [m["subject"] for m in listed["items"]] == ["询价：LED 灯条 500 件"]
    item = listed["items"][0]
    assert item["from_name"] == "王经理" and item["has_attachments"] and not item["seen"]
    assert (await client.get("/api/v1/messages", params={"search": "LED"})).json()["items"]
    assert (await client.get("/api/v1/messages", params={"search": "nothing-like-this"})).json()["items"] == []

    shown = (await client.get(f"/api/v1/messages/{item['id']}")).json()
    assert "请报价" in shown["body"]["text"] and "<b>请报价</b>" in shown["body"]["html"]
    assert "<script" not in shown["body"]["html"]
    assert [a["filename"] for a in shown["body"]["attachments"]] == ["规格书.pdf"]

    read = await client.post(f"/api/v1/messages/{item['id']}/read")
    assert read.status_code == 200 and read.json()["seen"]
    assert (await client.get("/api/v1/messages", params={"unread": "true"})).json()["items"] == []

    deleted = await client.delete(f"/api/v1/messages/{item['id']}")
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/messages/{item['id']}")
    assert gone.status_code == 404 and gone.json()["code"] == "message_not_found"
    await AccountSync(hub.service.store, hub.service.vault, account_id).sync_once()
    assert (await client.get("/api/v1/messages")).json()["items"] == []  # gone on the server too


async def test_send_queues_then_the_outbox_worker_sends_and_events_record_it(hub, runtime_client) -> None:
    client = runtime_client
    _address, account_id = await _bind(hub, client, "sender")
    attachment = base64.b64encode(b"price list").decode()
    queued = await client.post(
        "/api/v1/send",
        json={
            "account_id": account_id,
            "to": ["buyer@overseas.example"],
            "subject": "报价单 / Quotation",
            "text": "Please find our quotation attached.",
            "attachments": [{"filename": "报价.txt", "content_type": "text/plain", "data_base64": attachment}],
        },
        params={"lang": "zh"},
    )
    assert queued.status_code == 202, queued.text
    entry = queued.json()
    assert entry["state"] == "queued" and entry["state_label"] == "排队中" and entry["message_id"]

    await run_outbox(hub.service.store, hub.service.vault)

    sent = (await client.get(f"/api/v1/outbox/{entry['id']}")).json()
    assert sent["state"] == "sent" and sent["history"]
    captured = hub.aliyun.running.sandbox.outbound.for_recipient("buyer@overseas.example")
    assert [m.subject for m in captured] == ["报价单 / Quotation"]
    listed = (await client.get("/api/v1/outbox", params={"state": "sent"})).json()
    assert [e["id"] for e in listed["items"]] == [entry["id"]]

    events = (await client.get("/api/v1/events", params={"kind": "outbox.*"})).json()
    assert [(e["kind"], e["data"]["outbox_id"]) for e in events["items"]] == [("outbox.queued", entry["id"])]


async def test_cancel_and_retry_follow_the_outbox_rules(hub, client) -> None:
    _address, account_id = await _bind(hub, client, "retry")
    body = {"account_id": account_id, "to": ["x@overseas.example"], "subject": "hi", "text": "hello"}
    entry = (await client.post("/api/v1/send", json=body)).json()

    early = await client.post(f"/api/v1/outbox/{entry['id']}/retry")
    assert early.status_code == 409 and early.json()["code"] == "not_retryable"
    cancelled = await client.post(f"/api/v1/outbox/{entry['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = await client.post(f"/api/v1/outbox/{entry['id']}/retry")
    assert again.status_code == 200 and again.json()["state"] == "queued"

    no_one = await client.post("/api/v1/send", json={**body, "to": []})
    assert no_one.status_code == 422 and no_one.json()["code"] == "no_recipient"
    bad_file = await client.post(
        "/api/v1/send", json={**body, "attachments": [{"filename": "a.bin", "data_base64": "***"}]}
    )
    assert bad_file.status_code == 422 and bad_file.json()["code"] == "attachment_invalid"
    missing = await client.post("/api/v1/send", json={**body, "account_id": 999})
    assert missing.status_code == 404 and missing.json()["code"] == "account_not_found"


async def test_events_page_by_cursor(hub, runtime_client) -> None:
    log = Runtime(hub.service).events
    published = [log.publish("mail.new", None, {"folder": "INBOX", "count": n, "uids": [n]}) for n in range(5)]

    first = (await runtime_client.get("/api/v1/events", params={"limit": 3})).json()
    assert [e["id"] for e in first["items"]] == [e.id for e in published[:3]]
    rest = (await runtime_client.get("/api/v1/events", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [e["data"]["count"] for e in rest["items"]] == [3, 4] and rest["next_cursor"] is None
    page2 = (await runtime_client.get("/api/v1/events", params={"limit": 3, "page": 2})).json()
    assert [e["id"] for e in page2["items"]] == [e.id for e in published[3:]]


async def test_webhooks_add_show_once_list_and_delete(client) -> None:
    added = await client.post("/api/v1/webhooks", json={"url": "https://crm.example.cn/hook", "events": ["account.*"]})
    assert added.status_code == 201
    body = added.json()
    secret, endpoint = body["secret"], body["endpoint"]
    assert secret and endpoint["events"] == ["account.*"]

    listed = await client.get("/api/v1/webhooks")
    assert [e["id"] for e in listed.json()["items"]] == [endpoint["id"]] and secret not in listed.text
    assert secret not in (await client.get(f"/api/v1/webhooks/{endpoint['id']}")).text

    given = await client.post(
        "/api/v1/webhooks", json={"url": "https://erp.example.cn/hook", "secret": "my-own-signing-secret-123"}
    )
    assert given.status_code == 201 and given.json()["secret"] is None
    assert "my-own-signing-secret-123" not in given.text

    assert (await client.delete(f"/api/v1/webhooks/{endpoint['id']}")).status_code == 204
    gone = await client.get(f"/api/v1/webhooks/{endpoint['id']}")
    assert gone.status_code == 404 and gone.json()["code"] == "webhook_not_found"
    bad = await client.post("/api/v1/webhooks", json={"url": "ftp://files.example.cn/x"})
    assert bad.status_code == 422 and bad.json()["code"] == "webhook_url_invalid"
