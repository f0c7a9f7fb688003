"""`intake check` on a register one schema version behind the program: ✗ with what to do."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from casefile.db.migrate import alembic_config, current_revision, head_revision
from tests.auth.test_check import Setup, failed, setup  # noqa: F401 - the check set-up


def test_a_register_one_schema_version_behind_is_an_error_naming_casefile_init(
    setup: Setup,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Given a register created at the revision before the head (N−1), then `intake check`
    reports the database ✗ with both versions and `casefile init`, and exits 1."""
    head = head_revision()
    assert head is not None
    url = f"sqlite:///{tmp_path / 'gammal.db'}"
    cfg = alembic_config(url)
    previous = ScriptDirectory.from_config(cfg).get_revision(head).down_revision
    assert isinstance(previous, str)
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, previous)
    assert current_revision(engine) == previous
    engine.dispose()
    setup.data["database"]["url"] = url
    result = setup.run()
    assert result.exit_code == 1
    [line] = failed(result)
    assert line.startswith("✗ databas:")
    assert f"schemaversion {previous}" in line and head in line and "casefile init" in line
