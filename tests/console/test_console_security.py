"""The console's defences, over real HTTP: CSRF on every form, cookie flags, security headers, sign-in
rate limit, no session fixation, and pages closed to the wrong role."""

from __future__ import annotations

import pytest
from tests.console.helpers import ADMIN, DOMAIN, USER, ConsoleClient, add_user

# Every form the console has: (page that shows it, form action, a valid body).
FORMS = [
    ("/admin/policy", "/admin/policy", {"third_party": "all"}),
    ("/admin/users", "/admin/users", {"local_part": "x", "password": "Pw-123456", "phone": "13900139000"}),
    ("/admin/users", "/admin/users/imap-smtp", {"address": USER, "enabled": "off"}),
    ("/admin/users", "/admin/departments", {"name": "财务部"}),
    ("/admin/policy", "/logout", {}),
]
USER_FORMS = [
    ("/settings/security", "/settings/security/enable", {}),
    ("/settings/security", "/settings/security/code", {}),
    ("/settings/security/new", "/settings/security/create", {"code": "000000", "remark": "x"}),
    ("/settings/security", "/settings/security/1/delete", {}),
]


def _signed_in(client: ConsoleClient, role: str) -> ConsoleClient:
    response = client.sign_in_admin() if role == "admin" else client.sign_in_user()
    assert response.status_code == 303, response.text
    return client


@pytest.mark.parametrize(("page", "action", "body"), FORMS)
def test_admin_forms_refuse_a_missing_or_foreign_csrf_token(console, client, page, action, body) -> None:
    add_user(console, third_party="off")
    _signed_in(client, "admin")
    for token in (None, "forged-token", client.csrf("/mail/login") + "x"):
        data = body if token is None else {**body, "csrf": token}
        response = client.http.post(action, data=data)
        assert response.status_code == 403, (action, token)
        assert "表单已过期或来源无效" in response.text
    # nothing changed, and the admin is still signed in
    assert console.sandbox.security.get_policy(DOMAIN).third_party == "off"
    assert console.sandbox.directory.get_user(f"x@{DOMAIN}") is None
    assert console.sandbox.directory.get_user(USER).imap_smtp_enabled
    assert client.get("/admin/policy").status_code == 200


@pytest.mark.parametrize(("page", "action", "body"), USER_FORMS)
def test_user_forms_refuse_a_missing_csrf_token(console, client, page, action, body) -> None:
    add_user(console)
    console.sandbox.security.enable_client_passwords(USER)
    _signed_in(client, "user")
    assert client.http.post(action, data=body).status_code == 403


def test_sign_in_forms_need_the_token_too(console, client) -> None:
    response = client.http.post("/admin/login", data={"address": ADMIN, "password": "Admin-Passw0rd"})
    assert response.status_code == 403
    assert client.get("/admin/policy").headers["location"].startswith("/admin/login")


def test_session_cookie_is_httponly_samesite_and_replaced_at_sign_in(client) -> None:
    first = client.get("/admin/login")
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    before = client.http.cookies["console_session"]
    assert client.sign_in_admin().status_code == 303
    after = client.http.cookies["console_session"]
    assert after != before  # no session fixation: signing in issues a new id
    client.http.cookies.set("console_session", before)
    assert client.get("/admin/policy").status_code == 303  # the pre-sign-in id grants nothing


def test_every_page_carries_security_headers_and_no_store(client) -> None:
    client.sign_in_admin()
    for path in ("/", "/admin/policy", "/admin/users", "/admin/audit", "/nowhere"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"


def test_wrong_password_is_refused_in_both_languages(client) -> None:
    response = client.post("/admin/login", {"address": ADMIN, "password": "wrong-password"})
    assert response.status_code == 401 and "账号或密码错误" in response.text
    english = ConsoleClient(client.http.base_url, **{"Accept-Language": "en-US,en;q=0.9"})
    response = english.post("/admin/login", {"address": ADMIN, "password": "wrong-password"})
    assert response.status_code == 401 and "Wrong address or password" in response.text
    english.close()
    # an ordinary user's address is not an admin account, whatever the password
    response = client.post("/admin/login", {"address": f"someone@{DOMAIN}", "password": "Admin-Passw0rd"})
    assert response.status_code == 401


def test_sign_in_is_rate_limited_after_five_failures(console, client) -> None:
    add_user(console)
    for _ in range(5):
        assert client.sign_in_admin("wrong-password").status_code == 401
    blocked = client.sign_in_admin()  # the right password, too late
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text
    assert client.get("/admin/policy").status_code == 303
    # the limit is per account: the user can still sign in from the same address
    assert client.sign_in_user().status_code == 303
    client.sign_out()
    for _ in range(5):
        assert client.sign_in_user("wrong-password").status_code == 401
    assert client.sign_in_user().status_code == 429


def test_pages_are_closed_to_the_wrong_role(console, client) -> None:
    add_user(console)
    for path in ("/admin/policy", "/admin/users", "/admin/audit", "/admin/mail", "/admin/outbound"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next=")
    for path in ("/settings/security", "/settings/security/new", "/mail"):
        assert client.get(path).headers["location"].startswith("/mail/login?next=")
    _signed_in(client, "user")
    assert client.get("/admin/policy").status_code == 303
    assert client.get("/settings/security").status_code == 200


def test_sign_in_redirects_only_to_a_local_path(console, client) -> None:
    token = client.csrf("/admin/login")
    for target, expected in (("/admin/audit", "/admin/audit"), ("//evil.example/x", "/admin/policy")):
        response = client.http.post(
            "/admin/login", data={"csrf": token, "address": ADMIN, "password": "Admin-Passw0rd", "next": target}
        )
        assert response.headers["location"] == expected
        client.sign_out()
        token = client.csrf("/admin/login")
    assert client.get("/lang?to=en&next=https://evil.example").headers["location"] == "/"


def test_malformed_requests_get_an_html_error_page_not_a_stack_trace(console, client) -> None:
    add_user(console)
    client.sign_in_user()
    cases = [
        ("/mail/message?uid=abc", 400, "请求无法完成"),
        ("/settings/security/x/delete", 400, "请求无法完成"),
        ("/nope", 404, "页面不存在"),
    ]
    for path, status, text in cases:
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html") and text in response.text
        assert "Traceback" not in response.text
    assert client.http.put("/admin/policy").status_code == 405
