"""moved documents: a case may hold a document numbered in another case

`casefile move` files a document in another case and keeps its diarienummer (numbers are never
changed), so its serial can equal one of the new case's own. Numbers stay unique through
documents.diarienummer and the counters; (case_id, serial) becomes a plain index.

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_case_serial", type_="unique")
        batch.create_index("ix_documents_case_serial", ["case_id", "serial"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_case_serial")
        batch.create_unique_constraint("uq_documents_case_serial", ["case_id", "serial"])
