"""graph: mailbox_state.sync_state keeps a Graph folder's delta link

A nullable text column: IMAP and Maildir rows leave it empty. Adding a nullable column is done
in place on both backends (no table copy).

Revision ID: 0017
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mailbox_state", sa.Column("sync_state", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox_state", recreate="never") as batch:
        batch.drop_column("sync_state")
