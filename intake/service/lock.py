"""One active intake process per database: `serve` and `poll --once` both hold this lock.

PostgreSQL: a session-level advisory lock on a connection of its own, held for the process's
life. It is scoped to the database, so it also keeps apart services on different hosts, and the
server drops it when the connection dies, so a killed process never leaves it behind.

SQLite (and anything else): `fcntl.flock` on `service.lock_path`. The kernel drops it when the
process dies. The file's content (pid and host) is only for the busy message; the lock is what
counts.

Waiting is done by trying again once a second rather than by a blocking call, so that a
SIGTERM to a waiting service ends the wait at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from casefile.app import App
from casefile.errors import UserError

log = logging.getLogger("intake.service")

RETRY_SECONDS = 1.0
# Fixed and positive, so it splits cleanly into pg_locks' classid/objid (see advisory_held).
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"casefile:intake").digest()[:8], "big") >> 1
APPLICATION_PREFIX = "casefile-intake"


class LockBusy(UserError):
    """Another intake process holds the lock; the message is one Swedish line."""


class LockLost(Exception):
    """The lock is no longer held (the database connection that held it broke)."""


class InstanceLock(Protocol):
    description: str

    def check(self) -> None:
        """Raise LockLost if the lock is no longer ours."""


def busy_message(holder: str, wait: bool) -> str:
    then = "väntar tills den slutar" if wait else "avslutar"
    return (
        f"en annan intake-process ({holder}) arbetar redan mot samma databas "
        f"(intake serve eller intake poll); {then}"
    )


def _identity() -> str:
    return f"pid {os.getpid()} på {socket.gethostname()}"


def _is_postgresql(app: App) -> bool:
    return make_url(app.settings.database.url).get_backend_name() == "postgresql"


def lock_file_path(app: App) -> Path:
    return Path(app.settings.service.lock_path)


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"låsfil {path}"
        self._fd = -1

    def try_acquire(self) -> bool:
        if self._fd < 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{_identity()}\n".encode(), 0)
        return True

    def holder(self) -> str:
        try:
            text_ = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            text_ = ""
        return text_ or "okänd process"

    def check(self) -> None:
        # flock cannot be taken away from a living process.
        return None

    def release(self) -> None:
        if self._fd >= 0:
            # Unlock before close: the file stays, so the next instance locks the same inode.
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


class _AdvisoryLock:
    def __init__(self, url: str) -> None:
        self.description = "PostgreSQL advisory lock"
        # NullPool: this connection is ours alone and must not be recycled by a pool.
        self._engine: Engine = create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                # ASCII: PostgreSQL shows other characters in application_name as '?'.
                "application_name": (
                    f"{APPLICATION_PREFIX} pid {os.getpid()} @ {socket.gethostname()}"
                )[:63],
                # The connection idles for hours: keepalives stop a firewall from dropping it
                # unnoticed, and let a dead peer be found (then check() raises LockLost).
                "keepalives": 1,
                "keepalives_idle": 60,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            },
        )
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def try_acquire(self) -> bool:
        got = self._connection().execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        )
        return bool(got.scalar_one())

    def holder(self) -> str:
        name = (
            self._connection()
            .execute(
                text(
                    "SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.classid::bigint = :hi AND l.objid::bigint = :lo "
                    "AND l.database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) LIMIT 1"
                ),
                {"hi": ADVISORY_KEY >> 32, "lo": ADVISORY_KEY & 0xFFFFFFFF},
            )
            .scalar_one_or_none()
        )
        return str(name) if name else "okänd process"

    def check(self) -> None:
        try:
            self._connection().execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise LockLost(
                "förbindelsen som höll databaslåset bröts; en annan process kan ha tagit över"
            ) from exc

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
        self._engine.dispose()


def advisory_held(app: App) -> bool:
    """Whether some process holds the service lock on this PostgreSQL database (for status)."""
    with app.engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND classid::bigint = :hi AND objid::bigint = :lo "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"hi": ADVISORY_KEY >> 32, "lo": ADVISORY_KEY & 0xFFFFFFFF},
        ).scalar_one()
    return bool(count)


@contextlib.contextmanager
def instance_lock(
    app: App,
    wait: bool,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[InstanceLock]:
    """Hold the single-instance lock for the `with` block.

    Not waiting: raise LockBusy at once when another process holds it. Waiting: say so once
    (one Swedish line in the log) and try again every second; if `should_stop` turns true
    meanwhile, raise LockBusy so the caller can exit quietly.
    """
    lock: _FileLock | _AdvisoryLock = (
        _AdvisoryLock(app.settings.database.url)
        if _is_postgresql(app)
        else _FileLock(lock_file_path(app))
    )
    try:
        said = False
        while not lock.try_acquire():
            message = busy_message(lock.holder(), wait)
            if not wait:
                raise LockBusy(message)
            if not said:
                log.warning("%s", message)
                said = True
            if should_stop():
                raise LockBusy("avbröts medan processen väntade på låset")
            sleep(RETRY_SECONDS)
        if said:
            log.warning("låset är ledigt; den här processen tar över")
        yield lock
    finally:
        lock.release()
