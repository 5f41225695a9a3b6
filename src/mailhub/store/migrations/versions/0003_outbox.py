"""The outbox: messages to send, attempts, per-account sending limits.

Revision ID: 0003_outbox
Revises: 0001_accounts
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("from_address", sa.String(320), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("not_before", _TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("data_end_at", _TS, nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("sent_copy", sa.String(16), nullable=True),
        sa.Column("last_reply", sa.Text(), nullable=True),
        sa.Column("diagnosis_code", sa.String(64), nullable=True),
        sa.Column("diagnosis", sa.JSON(), nullable=True),
        sa.Column("batch_id", sa.String(64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_outbox_messages_account_id", "outbox_messages", ["account_id"])
    op.create_index("ix_outbox_messages_message_id", "outbox_messages", ["message_id"], unique=True)
    op.create_index("ix_outbox_messages_state", "outbox_messages", ["state"])
    op.create_index("ix_outbox_messages_sent_at", "outbox_messages", ["sent_at"])
    op.create_index("ix_outbox_messages_batch_id", "outbox_messages", ["batch_id"])

    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("phase", sa.String(16), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_attempts_outbox_id", "outbox_attempts", ["outbox_id"])

    op.create_table(
        "outbox_limits",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("per_minute", sa.Integer(), nullable=True),
        sa.Column("per_day", sa.Integer(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_limits")
    op.drop_table("outbox_attempts")
    op.drop_table("outbox_messages")
