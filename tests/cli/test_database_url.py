"""Which database URLs work: a bare `postgresql://` (SQLAlchemy 2.1 would take it for psycopg 3,
which is not installed) runs on psycopg2; another database or driver is one configuration line
naming the key, from `casefile init`, any command and `intake check`, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from casefile.cli import cli
from casefile.config import load_settings
from casefile.db.engine import UnsupportedDatabase, with_driver
from intake.cli import cli as intake_cli
from tests.support import toml
from tests.support.postgres import create_database, drop_database


def run(group: object, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(group, list(args))  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


def write_config(tmp_path: Path, url: str) -> str:
    data = {"database": {"url": url}, "storage": {"path": str(tmp_path / "archive")}}
    return str(toml.write_config(tmp_path / "casefile.toml", data))


def test_a_bare_postgresql_url_means_psycopg2() -> None:
    url = with_driver(make_url("postgresql://u@h/db"))
    assert url.drivername == "postgresql+psycopg2"
    assert with_driver(make_url("postgresql+psycopg2://u@h/db")).drivername == "postgresql+psycopg2"
    assert with_driver(make_url("sqlite:///x.db")).drivername == "sqlite"
    # psycopg (3) only when it is installed
    psycopg = make_url("postgresql+psycopg://u@h/db")
    assert with_driver(psycopg, installed=lambda _m: True) == psycopg
    with pytest.raises(UnsupportedDatabase) as missing:
        with_driver(psycopg, installed=lambda _m: False)
    assert missing.value.problem == "database_psycopg3"


def test_the_register_runs_on_a_bare_postgresql_url(tmp_path: Path) -> None:
    # Given a configuration naming PostgreSQL without a driver, as the README writes it
    name, url = create_database()
    try:
        bare = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        assert bare.startswith("postgresql://")
        config = write_config(tmp_path, bare)
        # When the register is created and read, and the service's check looks at it
        init = run(cli, "--config", config, "init")
        listed = run(cli, "--config", config, "list")
        checked = run(intake_cli, "--config", config, "check")
        # Then all of them reach the database (through psycopg2)
        assert load_settings(config).database.url.startswith("postgresql+psycopg2://")
        assert init[0] == 0, init[2]
        assert listed[0] == 0, listed[2]
        said = checked[1] + checked[2]
        assert "Traceback" not in said and "psycopg" not in said
        assert any(line.startswith("✓ databas") for line in said.splitlines()), said
    finally:
        drop_database(name)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql+asyncpg://casefile@127.0.0.1/casefile", "drivrutinen asyncpg stöds inte"),
        ("mysql://casefile@127.0.0.1/casefile", "databasen mysql stöds inte"),
        ("sqlite+aiosqlite:///register.db", "drivrutinen aiosqlite stöds inte"),
    ],
)
def test_an_unsupported_database_or_driver_is_one_configuration_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    config = write_config(tmp_path, url)
    expected = f"fel: {config}: database.url: {problem}"
    # Any command, init included: one line naming the file and the key
    for command in ("init", "list"):
        code, out, err = run(cli, "--config", config, command)
        assert (code, out) == (1, ""), err
        assert err.strip().splitlines() == [err.strip()]
        assert err.strip().startswith(expected), err
    # The service's check says the same on its configuration line, and fails
    code, out, err = run(intake_cli, "--config", config, "check")
    said = out + err
    assert code == 1
    assert "Traceback" not in said
    assert f"{config}: database.url: {problem}" in said
