"""The web tables on SQLite and PostgreSQL: migration 0006_web, the admin credential, sessions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

sys.path.insert(0, str(Path(__file__).parents[1] / "hub"))
from conftest_accounts import db_url_fixture  # noqa: F401  (SQLite, and a fresh PostgreSQL schema)

from mailhub.store import head_revisions, open_store
from mailhub.web import auth


def test_admin_password_and_sessions_on_both_databases(db_url: str) -> None:
    assert "0006_web" in head_revisions()
    store = open_store(db_url)
    try:
        assert {"web_admin", "web_sessions"} <= set(inspect(store.engine).get_table_names())
        assert not auth.admin_exists(store)
        assert auth.set_admin_password(store, "first-Passw0rd")
        assert not auth.set_admin_password(store, "second-Passw0rd")  # only the first run sets it
        assert auth.check_admin_password(store, "first-Passw0rd")
        assert not auth.check_admin_password(store, "second-Passw0rd")

        token = auth.start_session(store)
        assert auth.session_valid(store, token)
        assert not auth.session_valid(store, token + "x") and not auth.session_valid(store, None)
        auth.end_session(store, token)
        assert not auth.session_valid(store, token)
    finally:
        store.close()


def test_sign_in_limit_forgets_old_failures() -> None:
    now = [0.0]
    limiter = auth.SignInLimiter(limit=5, window=600, clock=lambda: now[0])
    for _ in range(5):
        assert not limiter.blocked("10.0.0.1")
        limiter.failed("10.0.0.1")
    assert limiter.blocked("10.0.0.1") and not limiter.blocked("10.0.0.2")
    now[0] = 601.0
    assert not limiter.blocked("10.0.0.1")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "", None, "accounts"])
def test_next_never_leaves_the_hub(target) -> None:
    assert auth.safe_next(target) == "/accounts"
