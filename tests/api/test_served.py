"""The app as ``mailhub serve`` runs it: ``create_app()`` from ``MAILHUB_*`` under uvicorn on a real socket, with
a token made by ``mailhub token create`` in another "process" (the CLI) on the same database."""

from __future__ import annotations

import asyncio

import httpx
import uvicorn
from typer.testing import CliRunner

from mailhub.app import create_app
from mailhub.cli import app as cli


async def test_a_cli_token_works_against_the_served_app(hub_home) -> None:
    created = CliRunner().invoke(cli, ["token", "create", "served"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]

    app = create_app(web=False)  # opens (and on shutdown closes) its own service from MAILHUB_HOME
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):  # an upper bound against a hang, not a wait for something
            while not server.started:
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            refused = await client.get("/api/v1/accounts")
            listed = await client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
            health = await client.get("/healthz")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)

    assert refused.status_code == 401 and refused.json()["code"] == "token_missing"
    assert listed.status_code == 200 and listed.json()["items"] == [] and listed.json()["total"] == 0
    assert health.json() == {"ok": True} and health.headers["x-frame-options"] == "DENY"
