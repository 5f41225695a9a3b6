"""Fixtures for the web UI tests: the hub app (``create_app``) on a fresh home, an httpx client, a signed-in
admin, and Alibaba's real host names pointed at the sandbox (MX from a loopback DNS server).

Helpers the test modules import live in ``webpages.py`` (a second module named ``conftest`` would be ambiguous).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "hub"))  # dnsserver.py lives with the hub tests

from webpages import DOMAIN, Aliyun, set_up_admin


@pytest.fixture(name="hub_home")
def hub_home_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("MAILHUB_HOME", str(home))
    for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY", "MAILHUB_LANG"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(name="web_app")
def web_app_fixture(hub_home: Path) -> Iterator:
    from mailhub.accounts.service import AccountService
    from mailhub.app import create_app
    from mailhub.settings import load_settings

    settings = load_settings()
    service = AccountService.open(settings)
    app = create_app(service=service, settings=settings)
    app.state.web_poll_seconds = 0.2
    try:
        yield app
    finally:
        service.close()


@pytest.fixture(name="client")
async def client_fixture(web_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web_app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test", timeout=60) as client:
        yield client


@pytest.fixture(name="admin")
async def admin_fixture(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client, signed in as the admin."""
    await set_up_admin(client)
    return client


@pytest.fixture(name="aliyun")
def aliyun_fixture(sandbox_service, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aliyun]:
    from dnsserver import DnsServer

    zone = {DOMAIN: {"MX": [(5, "mx1.qiye.aliyun.com"), (10, "mx2.qiye.aliyun.com")]}}
    with DnsServer(zone) as dns:
        monkeypatch.setenv("MAILHUB_NAMESERVER", dns.address)
        monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
        monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
        yield Aliyun(sandbox_service)


from live_hub import LiveHub, browser  # noqa: E402, F401  (the shared Playwright fixture)


@pytest.fixture(name="live_hub")
def live_hub_fixture(web_app) -> Iterator[LiveHub]:
    """The hub over real HTTP with the runtime running (sync and outbox workers, live events)."""
    hub = LiveHub(web_app, with_runtime=True).start()
    try:
        yield hub
    finally:
        hub.stop()
