"""Mail: folders with sync cursors, message summaries, cached bodies.

Revision ID: 0002_mail
Revises: 0001_accounts
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_mail"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _account() -> sa.ForeignKey:
    return sa.ForeignKey("accounts.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "mail_folders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer(), _account(), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("special_use", sa.String(32), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uidnext", sa.BigInteger(), nullable=True),
        sa.Column("highestmodseq", sa.BigInteger(), nullable=True),
        sa.Column("synced_at", _TS, nullable=True),
        sa.UniqueConstraint("account_id", "name", name="uq_mail_folders_account_name"),
    )
    op.create_index("ix_mail_folders_account_id", "mail_folders", ["account_id"])
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer(), _account(), nullable=False),
        sa.Column("folder_id", sa.Integer(), sa.ForeignKey("mail_folders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("from_name", sa.String(500), nullable=False),
        sa.Column("from_email", sa.String(320), nullable=False),
        sa.Column("to_addrs", sa.JSON(), nullable=False),
        sa.Column("cc_addrs", sa.JSON(), nullable=False),
        sa.Column("date", _TS, nullable=True),
        sa.Column("flags", sa.String(500), nullable=False),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("has_attachments", sa.Boolean(), nullable=False),
        sa.Column("attachment_names", sa.JSON(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("bodystructure", sa.Text(), nullable=True),
        sa.Column("modseq", sa.BigInteger(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("synced_at", _TS, nullable=False),
        sa.UniqueConstraint("folder_id", "uid", name="uq_mail_messages_folder_uid"),
    )
    op.create_index("ix_mail_messages_list", "mail_messages", ["account_id", "folder_id", "date"])
    op.create_index("ix_mail_messages_message_id", "mail_messages", ["message_id"])
    op.create_table(
        "mail_bodies",
        sa.Column(
            "message_row_id",
            sa.Integer(),
            sa.ForeignKey("mail_messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_bodies")
    op.drop_index("ix_mail_messages_message_id", table_name="mail_messages")
    op.drop_index("ix_mail_messages_list", table_name="mail_messages")
    op.drop_table("mail_messages")
    op.drop_index("ix_mail_folders_account_id", table_name="mail_folders")
    op.drop_table("mail_folders")
