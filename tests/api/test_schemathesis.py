"""Schemathesis over the app's own OpenAPI schema, in-process: no generated request may get a 5xx, and every
answer must match the schema it documents.

The app runs around a real account service over the sandbox-backed Alibaba settings and a loopback DNS server,
so detection and verification run for real. Hosts and ports a generated request names are pointed at a closed
loopback port first: the run must never reach beyond loopback, nor wait on an unknown server.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from mailhub.api.tokens import create_token
from mailhub.app import create_app
from mailhub.runtime import Runtime

MAX_EXAMPLES = 25  # per operation: ~12 operations, well under a minute on 2 cores


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="api_schema")
def api_schema_fixture(aliyun_hub) -> Iterator[Any]:
    service = aliyun_hub.service()
    try:
        # One bound account (id 1), so generated ids also reach the paths behind an existing account.
        address = aliyun_hub.user("fuzz")
        bound = asyncio.run(service.add(address, aliyun_hub.client_password(address)))
        assert bound.ok and bound.account is not None and bound.account.id == 1
        app = create_app(service=service, runtime=Runtime(service), web=False)  # as `mailhub serve` wires it
        _token, plain = create_token(service.store, "schemathesis")
        app.state.test_token = plain
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        service.close()


schema = schemathesis.pytest.from_fixture("api_schema")
CLOSED_PORT = _closed_port()


def _loopback_only(body: Any) -> None:
    """Point any server a generated body names at a closed loopback port."""
    if not isinstance(body, dict):
        return
    for protocol in ("imap", "smtp"):
        if body.get(f"{protocol}_host") is not None:
            body[f"{protocol}_host"] = "127.0.0.1"
            body[f"{protocol}_port"] = CLOSED_PORT
        elif body.get(f"{protocol}_port") is not None:
            body[f"{protocol}_port"] = CLOSED_PORT


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_answers_match_the_schema(case) -> None:
    _loopback_only(case.body)
    token = case.operation.schema.app.state.test_token
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
