"""The single-instance lock: a file lock on SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from casefile.app import App
from casefile.db.migrate import upgrade
from intake.service.lock import (
    APPLICATION_PREFIX,
    LockBusy,
    LockLost,
    advisory_held,
    instance_lock,
    lock_file_path,
)
from tests.conftest import make_settings
from tests.support.postgres import create_database, drop_database


def other(app: App) -> App:
    """A second App on the same database: its own engine, as in another process."""
    return App(app.settings)


def test_second_holder_is_refused_with_one_swedish_line(app: App) -> None:
    second = other(app)
    with instance_lock(app, wait=False):
        with pytest.raises(LockBusy) as busy, instance_lock(second, wait=False):
            pass
        message = str(busy.value)
        assert "\n" not in message
        assert message.startswith("en annan intake-process (")
        assert f"pid {os.getpid()}" in message
        assert message.endswith("; avslutar")
    # Released: the next one gets it.
    with instance_lock(second, wait=False):
        pass
    second.engine.dispose()


def test_waiting_instance_takes_over_when_the_first_stops(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    second = other(app)
    taken: list[float] = []

    def wait_for_it() -> None:
        with instance_lock(second, wait=True, sleep=lambda s: time.sleep(0.05)):
            taken.append(time.monotonic())

    caplog.set_level(logging.WARNING, logger="intake.service")
    with instance_lock(app, wait=False):
        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.5)
        assert taken == []  # still waiting while we hold it
        released_at = time.monotonic()
    waiter.join(120)
    assert taken and taken[0] >= released_at
    waits = [r.getMessage() for r in caplog.records if "väntar tills den slutar" in r.getMessage()]
    assert len(waits) == 1  # said once, not every second
    assert any("tar över" in r.getMessage() for r in caplog.records)
    second.engine.dispose()


def test_a_stop_request_ends_the_wait(app: App) -> None:
    second = other(app)
    with instance_lock(app, wait=False):
        started = time.monotonic()
        with (
            pytest.raises(LockBusy, match="avbröts"),
            instance_lock(second, wait=True, should_stop=lambda: time.monotonic() > started + 0.3),
        ):
            pass
        assert time.monotonic() - started < 30  # ended by the request, not a timeout
    second.engine.dispose()


@pytest.fixture
def pg_app(tmp_path: Path) -> Iterator[App]:
    """An app on a throw-away PostgreSQL database, whatever --db says: the advisory lock exists
    only there, and a test that returned early on SQLite would pass without testing anything."""
    name, url = create_database()
    application = App(make_settings(url, tmp_path))
    upgrade(application.engine)
    try:
        yield application
    finally:
        application.engine.dispose()
        drop_database(name)


def test_postgresql_lock_is_lost_with_its_connection(pg_app: App) -> None:
    app = pg_app
    with instance_lock(app, wait=False) as lock:
        lock.check()  # held: no error
        assert advisory_held(app)
        with app.engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name LIKE :name AND datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ),
                {"name": f"{APPLICATION_PREFIX}%"},
            ).scalars()
            assert list(killed) == [True]
        assert not advisory_held(app)
        with pytest.raises(LockLost, match="förbindelsen som höll databaslåset bröts"):
            lock.check()


def test_file_lock_is_kept_while_held_and_refuses_a_second_holder(app: App, db_kind: str) -> None:
    """On SQLite the lock is a file lock: check() passes while held, and another instance is
    refused until it is released (on PostgreSQL the same through the advisory lock)."""
    second = other(app)
    with instance_lock(app, wait=False) as lock:
        lock.check()
        with pytest.raises(LockBusy), instance_lock(second, wait=False):
            pass
        lock.check()  # a refused second instance did not take ours away
        if db_kind == "postgresql":
            assert advisory_held(app)
        else:
            assert lock_file_path(app).exists()
    second.engine.dispose()
