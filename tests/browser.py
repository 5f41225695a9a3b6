"""A real browser for page tests: Debian's Chromium driven by Playwright, headless, loopback only.

Tiny on purpose (the console and the hub web UI both use it): a per-module ``browser`` fixture and
``screenshot(page, name)``, which writes ``artifacts/screenshots/<name>.png`` (git-ignored). Import the
fixture into a conftest: ``from tests.browser import browser  # noqa: F401``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.peers import require_program

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A Playwright ``Browser`` on /usr/bin/chromium (never ``playwright install``: no downloads here).
    Module-scoped because Playwright's sync API keeps an event loop running in the main thread while it
    lives, and later tests call ``asyncio.run`` (the CLI does) — it must be gone when their module starts.
    Missing Chromium skips, or fails under MAILHUB_REQUIRE_PEERS=1 like every other peer program."""
    executable = require_program("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG of ``page`` as artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9._-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path
