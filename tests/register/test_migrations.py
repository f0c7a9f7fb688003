"""The Alembic migrations build exactly the schema the code declares, and init is repeatable."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casefile.app import App
from casefile.db.migrate import current_revision, head_revision, upgrade
from casefile.db.schema import metadata


def _declared(name: str | None, type_: str, parent_names: object) -> bool:
    # The FTS5 table of migration 0007 and its shadow tables are SQLite-only and made by raw DDL:
    # SQLAlchemy cannot declare a virtual table, so the comparison leaves them out.
    return not (type_ == "table" and name is not None and name.startswith("search_fts"))


def test_migrated_database_matches_the_declared_schema(app: App) -> None:
    with app.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _declared})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert current_revision(app.engine) == head_revision()


def test_upgrade_twice_changes_nothing(app: App) -> None:
    before, after = upgrade(app.engine)
    assert before == after == head_revision()
