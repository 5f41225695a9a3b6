"""The accounts API as a program uses it, against the real sandbox behind Alibaba's host names.

The admin has allowed third-party clients and switched IMAP/SMTP on; the user made a client security password
with the SMS code. A program binds the mailbox with 验证并保存 and manages it through the API.
"""

from __future__ import annotations

MAIN = "Main-Passw0rd!"  # the web password; the client password is made per test

CLIENT_PASSWORD_REQUIRED = "client_password_required"


async def test_create_with_a_client_password_is_201_normal_and_never_echoes_it(hub, client) -> None:
    address, client_password = hub.bound_user("alice")

    response = await client.post("/api/v1/accounts?lang=zh", json={"email": address, "password": client_password})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ok"] and body["saved"]
    assert body["status"] == "normal" and body["status_label"] == "正常"
    assert body["status_labels"] == {"zh": "正常", "en": "normal"}
    account = body["account"]
    assert account["provider_id"] == "aliyun-standard"
    assert account["imap"] == {"host": "imap.qiye.aliyun.com", "port": 993, "tls": "ssl"}
    assert account["smtp"] == {"host": "smtp.qiye.aliyun.com", "port": 465, "tls": "ssl"}
    assert client_password not in response.text and "password" not in account

    shown = await client.get(f"/api/v1/accounts/{account['id']}", params={"lang": "en"})
    assert shown.status_code == 200
    detail = shown.json()
    assert [(c["from"], c["to"]) for c in detail["history"]] == [(None, "verifying"), ("verifying", "normal")]
    assert detail["last_verification"]["imap"]["ok"] and detail["last_verification"]["smtp"]["ok"]
    assert client_password not in shown.text


async def test_the_main_password_is_refused_with_the_diagnosis_in_both_languages(hub, client) -> None:
    address, _client_password = hub.bound_user("bob")

    response = await client.post("/api/v1/accounts", json={"email": address, "password": MAIN})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "verification_failed" and body["status"] == "error"
    assert body["status_labels"]["zh"] == "异常"
    zh, en = body["diagnosis"]["zh"], body["diagnosis"]["en"]
    assert zh["code"] == en["code"] == CLIENT_PASSWORD_REQUIRED
    assert zh["steps"] and en["steps"] and zh["title"] != en["title"]
    assert body["message"]["zh"].startswith("验证失败") and body["message"]["en"].startswith("Verification failed")
    assert MAIN not in response.text
    assert (await client.get("/api/v1/accounts")).json()["items"] == []


async def test_save_unverified_keeps_an_error_account_with_its_cause(hub, client) -> None:
    address, _client_password = hub.bound_user("carol")

    response = await client.post("/api/v1/accounts", json={"email": address, "password": MAIN, "save_unverified": True})

    assert response.status_code == 201
    body = response.json()
    assert not body["ok"] and body["saved"] and body["account"]["status"] == "error"
    assert body["diagnosis"]["code"] == CLIENT_PASSWORD_REQUIRED
    listed = (await client.get("/api/v1/accounts", params={"status": "error"})).json()
    assert [a["email"] for a in listed["items"]] == [address]
    assert listed["items"][0]["diagnosis"]["code"] == CLIENT_PASSWORD_REQUIRED


async def test_pause_resume_and_a_revoked_password_turning_the_account_to_error(hub, client) -> None:
    address, client_password = hub.bound_user("dave")
    created = await client.post("/api/v1/accounts", json={"email": address, "password": client_password})
    account_id = created.json()["account"]["id"]

    paused = await client.post(f"/api/v1/accounts/{account_id}/pause", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert paused.json()["status_label"] == "已暂停"
    resumed = await client.post(f"/api/v1/accounts/{account_id}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "normal"

    sandbox = hub.aliyun.running.sandbox
    for issued in sandbox.security.list_client_passwords(address):
        sandbox.delete_client_password(address, issued.id)
    verified = await client.post(f"/api/v1/accounts/{account_id}/verify", params={"lang": "en"})

    assert verified.status_code == 200
    body = verified.json()
    assert not body["ok"] and body["status"] == "error" and body["status_label"] == "error"
    assert body["diagnosis"]["code"] and body["diagnosis"]["steps"]
    shown = (await client.get(f"/api/v1/accounts/{account_id}")).json()
    assert shown["status"] == "error" and shown["diagnosis"]["code"] == body["diagnosis"]["code"]


async def test_edit_is_verified_before_it_is_saved(hub, client) -> None:
    address, client_password = hub.bound_user("erin")
    account_id = (await client.post("/api/v1/accounts", json={"email": address, "password": client_password})).json()[
        "account"
    ]["id"]

    renamed = await client.patch(f"/api/v1/accounts/{account_id}", json={"name": "Erin"})
    assert renamed.status_code == 200 and renamed.json()["account"]["name"] == "Erin"

    refused = await client.patch(f"/api/v1/accounts/{account_id}", json={"password": MAIN, "name": "Nope"})
    assert refused.status_code == 422 and refused.json()["diagnosis"]["en"]["code"] == CLIENT_PASSWORD_REQUIRED
    shown = (await client.get(f"/api/v1/accounts/{account_id}")).json()
    assert shown["name"] == "Erin" and shown["status"] == "normal"


async def test_delete_then_the_account_is_gone(hub, client) -> None:
    address, client_password = hub.bound_user("fay")
    account_id = (await client.post("/api/v1/accounts", json={"email": address, "password": client_password})).json()[
        "account"
    ]["id"]

    deleted = await client.delete(f"/api/v1/accounts/{account_id}")
    assert deleted.status_code == 204 and deleted.content == b""

    gone = await client.get(f"/api/v1/accounts/{account_id}", params={"lang": "zh"})
    assert gone.status_code == 404
    assert gone.json()["code"] == "account_not_found" and "没有账户" in gone.json()["message"]["zh"]
    again = await client.delete(f"/api/v1/accounts/{account_id}")
    assert again.status_code == 404


async def test_binding_the_same_address_twice_is_409(hub, client) -> None:
    address, client_password = hub.bound_user("gus")
    first = await client.post("/api/v1/accounts", json={"email": address, "password": client_password})
    assert first.status_code == 201

    second = await client.post("/api/v1/accounts", json={"email": address.upper(), "password": client_password})
    assert second.status_code == 409 and second.json()["code"] == "account_exists"


async def test_list_pages_by_cursor_and_by_page_number(hub, client) -> None:
    emails = []
    for local in ("p1", "p2", "p3"):
        address, client_password = hub.bound_user(local)
        created = await client.post(
            "/api/v1/accounts", json={"email": address, "password": client_password, "name": local}
        )
        assert created.status_code == 201
        emails.append(address)

    first = (await client.get("/api/v1/accounts", params={"limit": 2})).json()
    assert [a["email"] for a in first["items"]] == emails[:2] and first["total"] == 3
    second = (await client.get("/api/v1/accounts", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [a["email"] for a in second["items"]] == emails[2:] and second["next_cursor"] is None

    page2 = (await client.get("/api/v1/accounts", params={"limit": 2, "page": 2})).json()
    assert [a["email"] for a in page2["items"]] == emails[2:] and page2["page"] == 2

    both = await client.get("/api/v1/accounts", params={"cursor": "1", "page": 1})
    assert both.status_code == 422 and both.json()["code"] == "pagination_conflict"
    forged = await client.get("/api/v1/accounts", params={"cursor": "abc"})
    assert forged.status_code == 422 and forged.json()["code"] == "cursor_invalid"
