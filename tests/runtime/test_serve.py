"""``mailhub serve`` as a person runs it: its own process with the HTTP app and the workers; paused from a
second process; stopped with SIGTERM, leaving no session behind in the sandbox.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

import httpx
from runtime_support import eventually


async def _listening(process: subprocess.Popen[str]) -> int:
    """The port from the line ``serve`` prints once it listens."""

    def read() -> int:
        assert process.stdout is not None
        for line in process.stdout:
            found = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
            if found:
                return int(found.group(1))
        raise AssertionError(f"serve exited ({process.wait()}) without listening")

    return await asyncio.wait_for(asyncio.to_thread(read), 60)


async def test_serve_runs_the_app_and_the_workers_until_sigterm(hub, tmp_path) -> None:
    account_id, address = await hub.bind("frank")
    command = [sys.executable, "-m", "mailhub", "serve", "--port", "0", "--log-level", "warning"]
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=dict(os.environ))
    try:
        port = await _listening(serve)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json()["ok"] is True

        await eventually(lambda: hub.imap_sessions() == 1, what="the serve process's sync session")
        await hub.cli("accounts", "pause", address)
        await eventually(lambda: hub.imap_sessions() == 0, what="the session to end after pause")
        await hub.cli("accounts", "resume", address)
        await eventually(lambda: hub.imap_sessions() == 1, what="the session after resume")

        serve.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(serve.wait, 30) == 0
        await eventually(lambda: hub.imap_sessions() == 0, what="no session left after stopping")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(10)
        log.close()
    tail = await hub.cli("events", "tail", "--json", "--account", str(account_id), "--count", "50")
    kinds = [line for line in tail.stdout.splitlines() if '"account.status"' in line]
    assert any('"to": "paused"' in line for line in kinds) and any('"from": "paused"' in line for line in kinds)


def test_serve_on_a_taken_port_says_so_and_starts_nothing(hub_home) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "mailhub", "serve", "--port", str(port), "--log-level", "warning"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
