"""The app factory: security headers on every answer, the web UI included, OpenAPI at /docs."""

from __future__ import annotations

import httpx

from mailhub.app import create_app


async def test_security_headers_on_api_answers_and_errors(hub) -> None:
    async with hub.client() as client:
        for response in (await client.get("/api/v1/providers"), await client.get("/api/v1/accounts/999")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "default-src 'self'" in response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["content-type"].startswith("application/json")


async def test_the_full_app_serves_the_web_ui_beside_the_api(hub) -> None:
    app = create_app(service=hub.service)  # web=True: mailhub.web.router must import
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        home = await client.get("/")  # the web UI's front page (or its redirect to sign-in)
        assert home.status_code in (200, 302, 303, 307), home.status_code
        assert home.headers["x-frame-options"] == "DENY" and home.headers["x-content-type-options"] == "nosniff"
        assert (await client.get("/api/v1/accounts")).status_code == 401  # the API beside it, behind its token
        docs = await client.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
        schema = (await client.get("/openapi.json")).json()
    api_paths = [path for path in schema["paths"] if path.startswith("/api/v1/")]
    assert "/api/v1/accounts/{account_id}/verify" in api_paths and "/api/v1/detect" in api_paths
    create = schema["paths"]["/api/v1/accounts"]["post"]
    assert {"201", "401", "409", "422"} <= set(create["responses"])
