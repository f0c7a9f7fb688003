"""The Alembic migrations build exactly the schema the code declares, and init is repeatable."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casefile.app import App
from casefile.db.migrate import current_revision, head_revision, upgrade
from casefile.db.schema import metadata


def test_migrated_database_matches_the_declared_schema(app: App) -> None:
    with app.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
    assert current_revision(app.engine) == head_revision()


def test_upgrade_twice_changes_nothing(app: App) -> None:
    before, after = upgrade(app.engine)
    assert before == after == head_revision()
