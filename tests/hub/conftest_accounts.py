"""Fixtures for the store, vault and account tests: a database on SQLite or PostgreSQL, a hub home.

Import the fixtures you use into a test module (``from conftest_accounts import db_url_fixture  # noqa: F401``).
PostgreSQL runs at 127.0.0.1:5432 (trust auth, database ``test``); each test gets a fresh schema,
dropped afterwards, so runs never see each other's tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.peers.postgres import fresh_schema


def _postgres_schema() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


@pytest.fixture(name="db_url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub' / 'mailhub.db'}"
    else:
        yield from _postgres_schema()


@pytest.fixture(name="hub_home")
def hub_home_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``MAILHUB_HOME`` in tmp_path, with no database URL or master key inherited from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("MAILHUB_HOME", str(home))
    for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY", "MAILHUB_LANG"):
        monkeypatch.delenv(name, raising=False)
    return home


DOMAIN = "acme-trade.cn"


class AliyunHub:
    """The hub set up the way a user's machine would be, with Alibaba's real host names at the sandbox.

    ``acme-trade.cn`` has MX records at ``mx1/mx2.qiye.aliyun.com`` (from a loopback DNS server), so
    detection finds Alibaba standard edition the real way; ``MAILHUB_RESOLVE`` sends
    imap/smtp.qiye.aliyun.com to the sandbox and ``MAILHUB_CA_FILE`` trusts its CA, name checks on.
    """

    def __init__(self, running, home: Path) -> None:
        self.running = running
        self.home = home
        self.domain = DOMAIN

    def user(self, local: str, password: str = "Main-Passw0rd!") -> str:
        """An address with IMAP/SMTP on and third-party clients allowed (the admin's part of the seed)."""
        address = f"{local}@{self.domain}"
        self.running.bind_user(address, password)
        return address

    def client_password(self, address: str, remark: str = "mailhub") -> str:
        """The user's part of the seed: SMS code, 生成新密码."""
        return self.running.new_client_password(address, remark)

    def service(self, **options):
        from mailhub.accounts.service import AccountService

        if not options:
            return AccountService.open()
        from mailhub.accounts.vault import load_vault
        from mailhub.settings import load_settings
        from mailhub.store import open_store

        settings = load_settings()
        return AccountService(open_store(settings.db_url()), load_vault(settings.data_dir(), None), **options)


@pytest.fixture(name="aliyun_hub")
def aliyun_hub_fixture(hub_home: Path, sandbox_service, monkeypatch: pytest.MonkeyPatch) -> Iterator[AliyunHub]:
    from dnsserver import DnsServer

    zone = {DOMAIN: {"MX": [(5, "mx1.qiye.aliyun.com"), (10, "mx2.qiye.aliyun.com")]}}
    with DnsServer(zone) as dns:
        monkeypatch.setenv("MAILHUB_NAMESERVER", dns.address)
        monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
        monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
        yield AliyunHub(sandbox_service, hub_home)
