"""Web UI: the admin credential and browser sessions.

Revision ID: 0006_web
Revises: 0001_accounts
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_web"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_admin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_index("ix_web_sessions_token_hash", "web_sessions", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_web_sessions_token_hash", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_admin")
