"""The hub's web UI in a real browser: the hub app served by uvicorn on a free loopback port (its own event
loop in a thread, optionally with the runtime running every account's workers, as ``mailhub serve`` does),
plus the shared Playwright ``browser`` fixture and ``screenshot`` from ``tests/browser.py`` (Debian's
Chromium, headless).

    hub = LiveHub(app, with_runtime=True).start()   # hub.url == "http://127.0.0.1:<port>"
    ...
    hub.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

import uvicorn
from tests.browser import CHROMIUM_ARGS, SCREENSHOTS, browser, screenshot

__all__ = ["CHROMIUM_ARGS", "LAPTOP", "PHONE", "SCREENSHOTS", "LiveHub", "browser", "new_page", "screenshot"]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
START_TIMEOUT = 30.0


class LiveHub:
    """``create_app()`` served over real HTTP; with ``with_runtime`` the hub's ``Runtime`` (supervisor, workers,
    event log) runs on the same loop as in ``mailhub serve``, so status changes reach pages as server-sent events."""

    def __init__(self, app: Any, *, with_runtime: bool = False, poll: float = 0.2) -> None:
        self.app = app
        self.with_runtime = with_runtime
        self.poll = poll
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hub-web", daemon=True)

    def start(self) -> LiveHub:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the hub did not start")
        if self._failure is not None:
            raise RuntimeError("the hub did not start") from self._failure
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to start(); never swallowed silently
            self._failure = error
            self._ready.set()

    async def _main(self) -> None:
        runtime_task = None
        if self.with_runtime:
            from mailhub.runtime import Runtime

            runtime = Runtime(self.app.state.service, poll=self.poll)
            self.app.state.runtime = runtime
            runtime_task = asyncio.create_task(runtime.run())
        self._ready.set()
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            if runtime_task is not None:
                runtime_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runtime_task


def new_page(browser: Any, base_url: str, locale: str = "zh-CN", viewport: dict | None = None) -> Any:
    """A fresh browser context (own cookies) at ``base_url``, its language from ``locale`` (Accept-Language)."""
    context = browser.new_context(base_url=base_url, locale=locale, viewport=viewport or LAPTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page
