"""``/events/stream`` over real HTTP: without a supervisor in the process, a status change made anywhere
(here: the account service, as the CLI would) reaches an open stream as an ``account.status`` event."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from live_hub import LiveHub
from webpages import ADMIN_PASSWORD, csrf_of

STREAM_TIMEOUT = 30.0  # an upper bound against hangs


@pytest.fixture
def polling_hub(web_app):
    hub = LiveHub(web_app).start()  # no supervisor: the stream polls the accounts table
    try:
        yield hub
    finally:
        hub.stop()


def _signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=STREAM_TIMEOUT)
    page = client.get("/setup")
    client.post("/setup", data={"csrf": csrf_of(page.text), "password": ADMIN_PASSWORD, "confirm": ADMIN_PASSWORD})
    return client


def test_a_status_change_arrives_as_an_event(aliyun, web_app, polling_hub) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    service = web_app.state.service
    address = aliyun.user("events")
    with ThreadPoolExecutor(1) as pool:
        bound = pool.submit(asyncio.run, service.add(address, aliyun.client_password(address))).result(60)
    account_id = bound.account.id

    client = _signed_in(polling_hub.url)
    anonymous = httpx.get(f"{polling_hub.url}/events/stream", timeout=STREAM_TIMEOUT)
    assert anonymous.status_code == 303  # the stream is for the signed-in admin only

    events: list[dict] = []
    opened = threading.Event()

    def read() -> None:
        with client.stream("GET", "/events/stream") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            kind = None
            for line in response.iter_lines():
                opened.set()
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind == "account.status":
                    events.append(json.loads(line.removeprefix("data: ")))
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(STREAM_TIMEOUT)  # the stream has sent its first line: the page is listening
    service.pause(account_id)
    reader.join(STREAM_TIMEOUT)
    assert events and events[0]["account_id"] == account_id
    assert events[0]["from"] == "normal" and events[0]["to"] == "paused"
    client.close()
