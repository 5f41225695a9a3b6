"""Fixtures for the REST API tests: the app around a real account service, a token, and an HTTP client.

Accounts are bound against the real sandbox through the catalog's Alibaba settings (``aliyun_hub`` from
tests/hub/conftest_accounts.py: loopback DNS with Alibaba's MX, ``MAILHUB_RESOLVE`` to the sandbox, its CA).
The client talks to the app in-process over ASGI (httpx.ASGITransport): real routing, auth and errors.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hub"))

from conftest_accounts import AliyunHub, aliyun_hub_fixture, db_url_fixture, hub_home_fixture  # noqa: F401
from fastapi import FastAPI

from mailhub.accounts.service import AccountService
from mailhub.api.tokens import create_token
from mailhub.app import create_app

MAIN = "Main-Passw0rd!"


@dataclass
class Hub:
    """The app, its service, a valid token, and the sandbox behind the Alibaba host names."""

    app: FastAPI
    service: AccountService
    token: str
    aliyun: AliyunHub

    def client(self, token: str | None = None, **headers: str) -> httpx.AsyncClient:
        """A client for the app; with this hub's token unless another (or "") is given."""
        token = self.token if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://hub.test", headers=headers)

    def bound_user(self, local: str) -> tuple[str, str]:
        """An address set up by the admin plus a fresh client security password for it (the seed's steps)."""
        address = self.aliyun.user(local, MAIN)
        return address, self.aliyun.client_password(address)


@pytest.fixture(name="hub")
def hub_fixture(aliyun_hub: AliyunHub) -> Iterator[Hub]:
    service = aliyun_hub.service()
    try:
        app = create_app(service=service, web=False)
        _token, plain = create_token(service.store, "tests")
        yield Hub(app, service, plain, aliyun_hub)
    finally:
        service.close()


@pytest.fixture(name="client")
async def client_fixture(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    async with hub.client() as client:
        yield client
