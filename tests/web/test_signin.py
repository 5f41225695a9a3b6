"""Signing in to the hub's web UI: the admin password set on first run, sessions, CSRF, the sign-in limit."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from webpages import ADMIN_PASSWORD, csrf_of, set_up_admin

from mailhub.store.web_models import AdminCredentialRow, WebSessionRow


async def test_first_visit_asks_for_the_admin_password(client: httpx.AsyncClient, web_app) -> None:
    first = await client.get("/accounts")
    assert first.status_code == 303 and first.headers["location"] == "/setup"
    page = await client.get("/setup", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "设置管理员密码" in page.text

    token = csrf_of(page.text)
    mismatch = await client.post("/setup", data={"csrf": token, "password": "long-enough-1", "confirm": "other-one-1"})
    assert mismatch.status_code == 400
    short = await client.post("/setup", data={"csrf": token, "password": "short", "confirm": "short"})
    assert short.status_code == 400

    done = await client.post("/setup", data={"csrf": token, "password": ADMIN_PASSWORD, "confirm": ADMIN_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/accounts"
    cookie = next(value for name, value in done.headers.multi_items() if value.startswith("mh_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on loopback; https sets Secure

    with web_app.state.store.session() as session:
        stored = session.scalar(select(AdminCredentialRow.password_hash))
        sessions = list(session.scalars(select(WebSessionRow.token_hash)))
    assert stored.startswith("$argon2id$") and ADMIN_PASSWORD not in stored
    assert client.cookies.get("mh_session") not in sessions  # only its hash is kept

    assert (await client.get("/accounts")).status_code == 200
    again = await client.get("/setup")  # setup cannot be replayed once a password exists
    assert again.status_code == 303 and again.headers["location"] == "/signin"
    replay = await client.post("/setup", data={"csrf": token, "password": "attacker-pass", "confirm": "attacker-pass"})
    assert replay.status_code == 303
    with web_app.state.store.session() as session:
        assert session.scalar(select(AdminCredentialRow.password_hash)) == stored


async def test_sign_out_and_in_again(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/accounts")
    out = await admin.post("/signout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    gone = await admin.get("/accounts/new")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/signin?next=/accounts/new")

    form = await admin.get("/signin?next=/accounts/new")
    answer = await admin.post(
        "/signin", data={"csrf": csrf_of(form.text), "password": ADMIN_PASSWORD, "next": "/accounts/new"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/accounts/new"
    assert (await admin.get("/accounts/new")).status_code == 200

    offsite = await admin.post(
        "/signin", data={"csrf": csrf_of(form.text), "password": ADMIN_PASSWORD, "next": "//evil.example/"}
    )
    assert offsite.headers["location"] == "/accounts"


async def test_sign_in_is_limited_after_five_failures(client: httpx.AsyncClient) -> None:
    await set_up_admin(client)
    client.cookies.delete("mh_session")
    form = await client.get("/signin", headers={"Accept-Language": "en"})
    token = csrf_of(form.text)
    for _ in range(5):
        wrong = await client.post(
            "/signin", data={"csrf": token, "password": "guess"}, headers={"Accept-Language": "en"}
        )
        assert wrong.status_code == 401 and "Wrong password" in wrong.text
    blocked = await client.post("/signin", data={"csrf": token, "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429  # even the right password waits until the failures age out
    assert "mh_session" not in blocked.headers.get("set-cookie", "")


async def test_every_form_needs_the_csrf_token(admin: httpx.AsyncClient) -> None:
    assert (await admin.post("/signout")).status_code == 403
    assert (await admin.post("/signout", data={"csrf": "x" * 32})).status_code == 403
    assert (await admin.post("/accounts/new", data={"email": "a@qq.com", "action": "detect"})).status_code == 403
    page = await admin.get("/accounts")
    ok = await admin.post("/accounts/new", data={"csrf": csrf_of(page.text), "email": "a@qq.com", "action": "detect"})
    assert ok.status_code == 200
    by_header = await admin.post(
        "/accounts/new", data={"email": "a@qq.com", "action": "detect"}, headers={"X-CSRF-Token": csrf_of(page.text)}
    )
    assert by_header.status_code == 200


async def test_pages_carry_security_headers(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/accounts")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
