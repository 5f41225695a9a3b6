"""Accounts, status history, sealed secrets, verification records.

Revision ID: 0001_accounts
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_accounts"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("imap_host", sa.String(255), nullable=False),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column("imap_tls", sa.String(16), nullable=False),
        sa.Column("smtp_host", sa.String(255), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_tls", sa.String(16), nullable=False),
        sa.Column("username", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("diagnosis_code", sa.String(64), nullable=True),
        sa.Column("diagnosis", sa.JSON(), nullable=True),
        sa.Column("sync_days", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("verified_at", _TS, nullable=True),
    )
    op.create_index("ix_accounts_email", "accounts", ["email"], unique=True)
    op.create_index("ix_accounts_status", "accounts", ["status"])

    op.create_table(
        "account_status_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("diagnosis_code", sa.String(64), nullable=True),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_account_status_changes_account_id", "account_status_changes", ["account_id"])

    op.create_table(
        "account_secrets",
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_account_secrets_key_id", "account_secrets", ["key_id"])

    op.create_table(
        "account_verifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("imap_ok", sa.Boolean(), nullable=False),
        sa.Column("smtp_ok", sa.Boolean(), nullable=False),
        sa.Column("imap_failure", sa.String(32), nullable=True),
        sa.Column("smtp_failure", sa.String(32), nullable=True),
        sa.Column("imap_reply", sa.Text(), nullable=True),
        sa.Column("smtp_reply", sa.Text(), nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("diagnosis_code", sa.String(64), nullable=True),
    )
    op.create_index("ix_account_verifications_account_id", "account_verifications", ["account_id"])


def downgrade() -> None:
    op.drop_table("account_verifications")
    op.drop_table("account_secrets")
    op.drop_table("account_status_changes")
    op.drop_table("accounts")
