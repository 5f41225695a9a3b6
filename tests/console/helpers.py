"""What the console tests share: the story's names and passwords, and an httpx client that fills in each
page's CSRF token like a browser. (Not named conftest: test modules import it, and a bare ``conftest``
module name is taken by every test directory.)"""

from __future__ import annotations

import re

import httpx

DOMAIN = "trade-console.cn"
ADMIN = f"postmaster@{DOMAIN}"
ADMIN_PASSWORD = "Admin-Passw0rd"
USER = f"sales@{DOMAIN}"
USER_PASSWORD = "Main-Passw0rd!"
PHONE = "13800138000"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class ConsoleClient:
    """A browser-like client: ``post(path, data, page=...)`` first GETs ``page`` (default: ``path``) and
    sends that page's CSRF token with the form, as a person submitting the form would."""

    def __init__(self, base_url: str, **headers: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=30)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def csrf(self, page: str) -> str:
        match = _CSRF.search(self.http.get(page).text)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, page: str | None = None) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf(page or path), **(data or {})})

    def sign_in_admin(self, password: str = ADMIN_PASSWORD) -> httpx.Response:
        return self.post("/admin/login", {"address": ADMIN, "password": password})

    def sign_in_user(self, password: str = USER_PASSWORD, address: str = USER) -> httpx.Response:
        return self.post("/mail/login", {"address": address, "password": password})

    def sign_out(self) -> httpx.Response:
        return self.post("/logout", page="/")  # the header's sign-out form is on every signed-in page

    def close(self) -> None:
        self.http.close()


def add_user(console, *, imap_smtp: bool = True, third_party: str = "all") -> None:
    """The admin's part of the seed, through the Python API (the pages are tested on their own)."""
    sandbox = console.sandbox
    sandbox.add_user(USER, USER_PASSWORD, PHONE, "外贸部")
    sandbox.directory.set_imap_smtp(USER, imap_smtp)
    sandbox.security.set_policy(DOMAIN, third_party=third_party)
