"""Fixtures for the sandbox console: a running sandbox (IMAP, SMTP and the console on free ports) with a
domain and its admin password, and a browser-like httpx client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.browser import browser  # noqa: F401  (the shared Playwright fixture)
from tests.console.helpers import ADMIN_PASSWORD, DOMAIN, ConsoleClient

from mailhub.sandbox.console.admins import ConsoleAdmins


@pytest.fixture
def console(sandbox_service):
    """The running sandbox with ``DOMAIN`` (Alibaba standard edition) and postmaster's console password."""
    sandbox = sandbox_service.sandbox
    sandbox.directory.add_domain(DOMAIN, "aliyun-standard")
    ConsoleAdmins(sandbox.db).set_password(DOMAIN, ADMIN_PASSWORD, known_domains=[DOMAIN])
    return sandbox_service


@pytest.fixture
def client(console) -> Iterator[ConsoleClient]:
    browser_like = ConsoleClient(console.console_url)
    try:
        yield browser_like
    finally:
        browser_like.close()
