"""One error shape everywhere, languages by ?lang= or Accept-Language, and the catalog endpoints."""

from __future__ import annotations

import pytest

from mailhub.api.deps import accepted_language


async def test_unknown_paths_and_methods_answer_in_the_error_shape(client) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "not_found",
        "message": {"zh": "没有这个资源。", "en": "There is no such resource."},
    }
    wrong = await client.put("/api/v1/accounts")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"


async def test_validation_errors_say_where_but_never_echo_the_password(client) -> None:
    secret = "Sup3r-Secret-" + "x" * 2000  # too long: refused by validation
    response = await client.post("/api/v1/accounts", json={"email": "a@acme-trade.cn", "password": secret})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed" and body["message"]["zh"] and body["message"]["en"]
    assert ["body", "password"] in [error["loc"] for error in body["errors"]]
    assert "Sup3r-Secret" not in response.text


async def test_control_characters_in_a_password_are_refused_before_any_login(client) -> None:
    response = await client.post("/api/v1/accounts", json={"email": "a@acme-trade.cn", "password": "abc\r\nLOGOUT"})
    assert response.status_code == 422 and response.json()["code"] == "password_invalid"


async def test_unknown_fields_and_bad_ids_are_422(client) -> None:
    extra = await client.post("/api/v1/accounts", json={"email": "a@acme-trade.cn", "password": "p", "admin": True})
    assert extra.status_code == 422 and extra.json()["code"] == "validation_failed"
    huge = await client.get(f"/api/v1/accounts/{10**30}")
    assert huge.status_code == 422


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR, en;q=0.5, zh;q=0.7", "zh"),
        ("zh;q=0, en", "en"),
        ("de-DE", None),
        ("", None),
        ("zh;q=abc", None),
    ],
)
def test_accept_language_picks_by_quality(header: str, expected: str | None) -> None:
    assert accepted_language(header) == expected


async def test_lang_query_beats_accept_language(client) -> None:
    response = await client.get(
        "/api/v1/providers/aliyun-standard", params={"lang": "en"}, headers={"Accept-Language": "zh-CN"}
    )
    assert response.json()["name"] == "Alibaba Cloud Enterprise Mail (standard edition)"
    zh = await client.get("/api/v1/providers/aliyun-standard", headers={"Accept-Language": "zh-CN"})
    assert zh.json()["name"] == "阿里云企业邮箱（标准版）"
    bad = await client.get("/api/v1/providers/aliyun-standard", params={"lang": "fr"})
    assert bad.status_code == 422


async def test_provider_steps_are_the_seeds_admin_then_user_steps_with_links(client) -> None:
    response = await client.get("/api/v1/providers/aliyun-standard", params={"lang": "zh"})

    assert response.status_code == 200
    body = response.json()
    whos = [step["who"] for step in body["steps"]]
    assert whos == sorted(whos) and whos[0] == "admin" and whos[-1] == "user"  # admin's steps first
    texts = " ".join(step["text"] for step in body["steps"])
    assert "账户安全策略" in texts and "开启IMAP/SMTP服务" in texts and "生成新密码" in texts
    assert any(step["link"] == "https://qiye.aliyun.com/admin/" for step in body["steps"])
    assert body["password_kind"] == "client_security_password" and body["password_name"] == "三方客户端安全密码"

    missing = await client.get("/api/v1/providers/no-such-provider")
    assert missing.status_code == 404 and missing.json()["code"] == "provider_not_found"


async def test_providers_list_pages_through_the_whole_catalog(client) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/providers", params=params)).json()
        seen += [provider["id"] for provider in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == page["total"] == len(set(seen)) and "aliyun-standard" in seen


async def test_detect_finds_alibaba_by_mx_and_refuses_non_addresses(client) -> None:
    found = await client.get("/api/v1/detect", params={"email": "sales@acme-trade.cn", "lang": "zh"})
    assert found.status_code == 200
    body = found.json()
    assert body["found"] and body["method"] == "mx" and body["provider"]["id"] == "aliyun-standard"
    assert body["settings"]["imap"]["host"] == "imap.qiye.aliyun.com" and body["provider"]["steps"]

    invalid = await client.get("/api/v1/detect", params={"email": "not an address"})
    assert invalid.status_code == 422 and invalid.json()["code"] == "email_invalid"
    assert invalid.json()["message"]["zh"] != invalid.json()["message"]["en"]
