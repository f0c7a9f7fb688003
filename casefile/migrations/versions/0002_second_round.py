"""second round: case closing and contacts, sender trust, manual registration, secrecy, poison

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import casefile.db.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = casefile.db.schema.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("confirmed_contact_email", sa.Text(), nullable=True))
        batch.add_column(sa.Column("confirmed_contact_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("flag", sa.Text(), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("auth_verdict", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("auth_detail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dismissed_at", UTC, nullable=True))
        batch.add_column(sa.Column("dismissed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("dismiss_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="email")
        )
        batch.add_column(sa.Column("registered_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sender_verdict", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("flag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("secrecy_provision", sa.Text(), nullable=True))
        batch.add_column(sa.Column("secrecy_public_title", sa.Text(), nullable=True))
        batch.add_column(sa.Column("secrecy_at", UTC, nullable=True))
        batch.add_column(sa.Column("secrecy_by", sa.String(length=64), nullable=True))
    op.create_table(
        "message_attempts",
        sa.Column("mailbox", sa.String(length=128), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_started_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("mailbox", "folder", "uidvalidity", "uid"),
    )


def downgrade() -> None:
    op.drop_table("message_attempts")
    with op.batch_alter_table("documents") as batch:
        for name in (
            "secrecy_by",
            "secrecy_at",
            "secrecy_public_title",
            "secrecy_provision",
            "flag",
            "sender_verdict",
            "registered_by",
            "channel",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("messages") as batch:
        for name in (
            "dismiss_reason",
            "dismissed_by",
            "dismissed_at",
            "auth_detail",
            "auth_verdict",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("cases") as batch:
        for name in ("flag", "confirmed_contact_by", "confirmed_contact_email", "close_reason"):
            batch.drop_column(name)
