"""Bearer tokens: no token or a bad one gets 401 in the error shape; docs and health stay open."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from mailhub.api.tokens import create_token, list_tokens, revoke_token, token_hash
from mailhub.cli import app as cli
from mailhub.store.api_models import ApiTokenRow


async def test_no_token_is_401_in_both_languages(hub) -> None:
    async with hub.client(token="") as client:
        response = await client.get("/api/v1/accounts")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["code"] == "token_missing"
    assert "mailhub token create" in body["message"]["en"] and "令牌" in body["message"]["zh"]


async def test_unknown_and_malformed_tokens_are_401(hub) -> None:
    for header in ("Bearer mh_not-a-real-token", "Bearer " + "x" * 5000, "Basic dXNlcjpwYXNz", "Bearer"):
        async with hub.client(token="", Authorization=header) as client:
            response = await client.get("/api/v1/providers")
        assert response.status_code == 401, header
        assert response.json()["code"] in ("token_invalid", "token_missing")


async def test_docs_openapi_and_health_need_no_token(hub) -> None:
    async with hub.client(token="") as client:
        for path in ("/docs", "/healthz", "/openapi.json"):
            response = await client.get(path)
            assert response.status_code == 200, path
    schema = response.json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_a_revoked_token_stops_working_and_use_is_noted(hub) -> None:
    token, plain = create_token(hub.service.store, "crm")
    async with hub.client(token=plain) as client:
        assert (await client.get("/api/v1/providers")).status_code == 200
        used = next(t for t in list_tokens(hub.service.store) if t.id == token.id)
        assert used.last_used_at is not None

        revoke_token(hub.service.store, token.id)
        response = await client.get("/api/v1/providers")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


async def test_only_the_hash_of_a_token_is_stored(hub) -> None:
    _token, plain = create_token(hub.service.store, "ci")
    with hub.service.store.session() as session:
        rows = session.scalars(select(ApiTokenRow)).all()
    stored = " ".join(f"{row.token_hash} {row.prefix} {row.name}" for row in rows)
    assert plain not in stored and token_hash(plain) in stored
    assert plain not in repr(rows)


def test_token_cli_create_prints_the_token_last_then_list_and_revoke(hub_home) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["token", "create", "crm-sync"])
    assert created.exit_code == 0, created.output
    plain = created.stdout.strip().splitlines()[-1]
    assert plain.startswith("mh_") and len(plain) > 40

    listed = runner.invoke(cli, ["token", "list", "--json"])
    assert listed.exit_code == 0 and plain not in listed.stdout
    assert '"name": "crm-sync"' in listed.stdout and '"active": true' in listed.stdout

    revoked = runner.invoke(cli, ["token", "revoke", "1"])
    assert revoked.exit_code == 0, revoked.output
    assert '"active": false' in runner.invoke(cli, ["token", "list", "--json"]).stdout
    missing = runner.invoke(cli, ["token", "revoke", "99"])
    assert missing.exit_code == 1 and "token_not_found" in missing.output
