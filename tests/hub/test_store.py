"""The store: migrations from an empty database, and the account tables on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest_accounts import db_url_fixture, hub_home_fixture  # noqa: F401  (fixtures)
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from mailhub.store import (
    AccountRow,
    Base,
    SecretRow,
    StatusChangeRow,
    VerificationRow,
    current_revisions,
    head_revisions,
    open_store,
)


def _account(email: str = "alice@example-corp.cn") -> AccountRow:
    return AccountRow(
        email=email,
        provider_id="aliyun-standard",
        imap_host="imap.qiye.aliyun.com",
        imap_port=993,
        imap_tls="ssl",
        smtp_host="smtp.qiye.aliyun.com",
        smtp_port=465,
        smtp_tls="ssl",
        username=email,
        status="verifying",
    )


def test_migrations_build_every_table_from_empty(db_url: str) -> None:
    store = open_store(db_url)
    try:
        assert current_revisions(store.engine) == head_revisions()
        tables = set(inspect(store.engine).get_table_names())
        assert {"accounts", "account_status_changes", "account_secrets", "account_verifications"} <= tables
        assert "alembic_version" in tables
    finally:
        store.close()


def test_migrations_match_the_models(db_url: str) -> None:
    """A model changed without a migration shows up here as a difference."""
    store = open_store(db_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        store.close()


def test_opening_twice_keeps_the_data(db_url: str) -> None:
    store = open_store(db_url)
    with store.session() as session:
        session.add(_account())
    store.close()
    again = open_store(db_url)
    try:
        with again.session() as session:
            assert session.scalar(select(AccountRow.email)) == "alice@example-corp.cn"
    finally:
        again.close()


def test_account_rows_with_history_secret_and_verifications(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.session() as session:
            row = _account()
            row.diagnosis = {"code": "client_password_required", "zh": {"title": "需要客户端安全密码"}}
            session.add(row)
            session.flush()
            session.add(StatusChangeRow(account_id=row.id, from_status=None, to_status="verifying", reason="added"))
            session.add(SecretRow(account_id=row.id, ciphertext=b"\x01" * 30, nonce=b"\x02" * 12, key_id="k1"))
            session.add(
                VerificationRow(
                    account_id=row.id,
                    ok=False,
                    imap_ok=False,
                    smtp_ok=False,
                    smtp_reply="526 Authentication failure[0]",
                    transcript={"smtp": ["S: 526 Authentication failure[0]"]},
                )
            )
        with store.session() as session:
            row = session.scalar(select(AccountRow))
            assert row is not None
            assert row.diagnosis["zh"]["title"] == "需要客户端安全密码"
            assert [change.to_status for change in row.history] == ["verifying"]
            assert row.secret is not None and row.secret.key_id == "k1"
            assert row.verifications[0].smtp_reply == "526 Authentication failure[0]"
            assert row.created_at is not None and row.updated_at is not None
    finally:
        store.close()


def test_email_is_unique(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.session() as session:
            session.add(_account())
        with pytest.raises(IntegrityError), store.session() as session:
            session.add(_account())
    finally:
        store.close()


def test_deleting_an_account_cascades_in_the_database(db_url: str) -> None:
    """Even a plain SQL DELETE (another tool, a later module) leaves no orphan rows behind."""
    store = open_store(db_url)
    try:
        with store.session() as session:
            row = _account()
            session.add(row)
            session.flush()
            session.add(SecretRow(account_id=row.id, ciphertext=b"x", nonce=b"n" * 12, key_id="k"))
            session.add(StatusChangeRow(account_id=row.id, from_status=None, to_status="verifying", reason="added"))
        with store.session() as session:
            session.execute(text("DELETE FROM accounts"))
        with store.session() as session:
            for table in ("account_secrets", "account_status_changes"):
                assert session.scalar(text(f"SELECT count(*) FROM {table}")) == 0
    finally:
        store.close()


def test_sqlite_default_lives_in_home_in_wal_mode(hub_home: Path) -> None:
    store = open_store()
    try:
        assert stat.S_IMODE((hub_home / "mailhub.db").stat().st_mode) == 0o600
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    monkeypatch.setenv("MAILHUB_DATABASE_URL", f"sqlite:///{target}")
    store = open_store()
    store.close()
    assert target.exists()


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    from mailhub.store import normalize_url

    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
