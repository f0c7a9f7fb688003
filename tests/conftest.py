"""Shared fixtures: a fresh database (SQLite or PostgreSQL), settings, and the app context.

Choose the database with `--db postgresql` or CASEFILE_TEST_DB=postgresql. Tests that use a
database are marked `database` automatically, so the PostgreSQL run can select them with
`-m database`. A PostgreSQL that cannot be reached is an error, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest

from casefile.app import App
from casefile.config import Settings, settings_from_dict
from tests.support.postgres import create_database, drop_database

# No wall-clock deadline for property tests: the machine is shared and a loaded run must not
# fail a correct example for being slow (examples stay bounded by max_examples).
hypothesis.settings.register_profile("casefile", deadline=None)
hypothesis.settings.load_profile("casefile")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("CASEFILE_TEST_DB", "sqlite"),
        choices=["sqlite", "postgresql"],
        help="database to run the register tests on",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "database: uses the register database")


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture
def db_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'casefile.db'}"
        return
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


def make_settings(db_url: str, tmp_path: Path, **sections: dict[str, object]) -> Settings:
    data: dict[str, object] = {
        "database": {"url": db_url},
        "storage": {"path": str(tmp_path / "archive")},
        "registry": {"office_name": "Samordningsförbund Gävleborg"},
        "smtp": {
            "transport": "folder",
            "folder": str(tmp_path / "outbox"),
            "from_address": "kontakt@finsam.test",
            "from_name": "Samordningsförbund Gävleborg",
        },
        "service": {"lock_path": str(tmp_path / "casefile.lock")},
    }
    for key, value in sections.items():
        base = data.get(key)
        data[key] = {**base, **value} if isinstance(base, dict) else value
    return settings_from_dict(data)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    """The application on a freshly migrated database."""
    from casefile.db.migrate import upgrade

    application = App(settings)
    upgrade(application.engine)
    yield application
    application.engine.dispose()
