"""Engines and sessions, with the SQLite settings that make concurrent writers safe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

# The drivers casefile runs on. A bare `postgresql://` means psycopg2, the one casefile depends
# on: SQLAlchemy 2.0 maps it to psycopg2 but 2.1 to psycopg (3), which is not installed.
DEFAULT_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg2"}
# psycopg (3) works too, when someone has installed it.
OPTIONAL_DRIVERS = {("postgresql", "psycopg"): "psycopg"}


class UnsupportedDatabase(ValueError):
    """A URL casefile cannot connect with; `problem` names the message (casefile.config)."""

    def __init__(self, problem: str, **fields: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fields = fields


def with_driver(url: URL, installed: Callable[[str], bool] | None = None) -> URL:
    """`url` with its driver named: a bare `postgresql://` becomes `postgresql+psycopg2://`.

    Raises UnsupportedDatabase for another database or a driver casefile does not run on,
    so a configuration says so in one line instead of failing on import at the first query.
    """
    # From the name alone: get_driver_name() would load the dialect, unknown ones included.
    backend, _, driver = url.drivername.partition("+")
    if backend not in DEFAULT_DRIVERS:
        raise UnsupportedDatabase("database_backend", backend=backend)
    default = DEFAULT_DRIVERS[backend]
    if not driver:
        return url.set(drivername=f"{backend}+{default}") if backend == "postgresql" else url
    if driver == default:
        return url
    module = OPTIONAL_DRIVERS.get((backend, driver))
    if module is None:
        raise UnsupportedDatabase("database_driver", driver=driver, backend=backend)
    if not (installed or _installed)(module):
        raise UnsupportedDatabase("database_psycopg3")
    return url


def _installed(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def make_engine(url: str) -> Engine:
    parsed = with_driver(make_url(url))
    url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads a counter
        # and then writes would fail with SQLITE_BUSY instead of waiting its turn. Readers
        # (see read_only) need no lock in WAL mode and must not wait for the service's writes.
        if connection.get_execution_options().get("casefile_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Imported here: read-only commands use Core and never load the ORM.
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def read_only(engine: Engine) -> Connection:
    """A connection for queries only: on SQLite it takes no write lock."""
    return engine.connect().execution_options(casefile_read_only=True)
