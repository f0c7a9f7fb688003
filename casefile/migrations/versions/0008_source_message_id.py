"""names: the integer keys to messages.id become source_message_id

`message_id` keeps one meaning, the Message-ID header (messages.message_id, outbox.message_id);
documents, attachments and events point at the fetched message through `source_message_id`.
Both backends rename in place (SQLite has ALTER TABLE ... RENAME COLUMN since 3.25), which keeps
data, foreign keys and indexes. recreate="never" because copying the table on SQLite drops
documents, which attachments, events and search_entries reference: with foreign keys on, that
DROP fails on any register that holds documents. PostgreSQL's constraint names follow the column.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("documents", "attachments", "events")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.alter_column("message_id", new_column_name="source_message_id")
        _rename_foreign_key(table, "message_id", "source_message_id")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.alter_column("source_message_id", new_column_name="message_id")
        _rename_foreign_key(table, "source_message_id", "message_id")


def _rename_foreign_key(table: str, old: str, new: str) -> None:
    # PostgreSQL named the constraint after the column (<table>_<column>_fkey) when 0001 made it;
    # SQLite's foreign keys have no name.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE {table} RENAME CONSTRAINT {table}_{old}_fkey TO {table}_{new}_fkey"
        )
