"""What the web tests share: the admin password, reading a page's CSRF token, setting up the admin, and the
sandbox dressed as Alibaba's standard edition."""

from __future__ import annotations

import re

import httpx

ADMIN_PASSWORD = "admin-Passw0rd"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
DOMAIN = "acme-trade.cn"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def set_up_admin(client: httpx.AsyncClient, password: str = ADMIN_PASSWORD) -> None:
    """The first-run page: set the admin password (which also signs this client in)."""
    page = await client.get("/setup")
    answer = await client.post("/setup", data={"csrf": csrf_of(page.text), "password": password, "confirm": password})
    assert answer.status_code == 303, answer.text


class Aliyun:
    """The sandbox as Alibaba's standard edition: addresses at ``acme-trade.cn`` detect by MX."""

    def __init__(self, running) -> None:
        self.running = running

    def user(self, local: str, **options) -> str:
        address = f"{local}@{DOMAIN}"
        self.running.bind_user(address, "Main-Passw0rd!", **options)
        return address

    def client_password(self, address: str, remark: str = "来发信") -> str:
        return self.running.new_client_password(address, remark)


async def bind_through_form(
    admin: httpx.AsyncClient, email: str, password: str, headers: dict[str, str] = ZH
) -> httpx.Response:
    """新建 as a browser does it: open the form for ``email`` (detection fills the advanced fields), then
    验证并保存 with ``password``."""
    page = await admin.get(f"/accounts/new?email={email}", headers=headers)
    data = {"csrf": csrf_of(page.text), "email": email, "password": password, "action": "save"}
    for name, value in re.findall(r'name="(detected_\w+)" value="([^"]*)"', page.text):
        data[name] = value
        data[name.removeprefix("detected_")] = value
    return await admin.post("/accounts/new", data=data, headers=headers)
