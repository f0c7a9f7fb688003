"""A PostgreSQL outage does not stop `intake serve` for good.

The service reaches the real PostgreSQL through a TCP relay on loopback that the test cuts
(every connection closed, new ones refused) and restores: from the service's side, the database
went away and came back. Shared PostgreSQL is never stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from casefile.db.models import Document
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.postgres import create_database, drop_database
from tests.support.toml import write_config

INTAKE = str(Path(sys.executable).parent / "intake")
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()


class Relay:
    """Forwards loopback connections to PostgreSQL until cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                if self._listener is not listener:
                    # Cut while this one was being connected: it must not outlive the cut (a
                    # pooled connection through it took the lock during the "outage").
                    for s in (client, server):
                        s.close()
                    return
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def relayed_pg() -> Iterator[tuple[str, Relay]]:
    name, url = create_database()
    parsed = make_url(url)
    relay = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
    try:
        yield parsed.set(port=relay.port).render_as_string(hide_password=False), relay
    finally:
        relay.cut()
        drop_database(name)


def _wait(check: Callable[[], bool], seconds: float, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        assert proc.poll() is None, "the service exited"
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_serve_waits_out_a_database_outage_and_goes_on(
    tmp_path: Path, account: Account, relayed_pg: tuple[str, Relay]
) -> None:
    """Given a running service, when PostgreSQL goes away for a while and comes back, then the
    service does not exit: it says so once, reconnects, and registers the next report."""
    url, relay = relayed_pg
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    box = {**account.mailbox_settings(), "poll_interval_seconds": 1}
    config = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": url},
            "storage": {"path": str(tmp_path / "archive")},
            "mailboxes": [box],
            "smtp": {"transport": "folder", "folder": str(tmp_path / "outbox")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
        },
    )
    app = build_app(url, tmp_path, account.mailbox_settings())
    log_path = tmp_path / "serve.log"

    def registered() -> int:
        with app.sessions() as s:
            return len(s.scalars(select(Document.id)).all())

    with log_path.open("w") as log:
        serve = subprocess.Popen(
            [INTAKE, "--config", str(config), "serve", "--for", "90"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait(lambda: registered() == 1, 60, serve)
            app.engine.dispose()
            relay.cut()
            time.sleep(8)  # several polls' worth of outage
            assert serve.poll() is None, log_path.read_text()
            relay.restore()
            account.append(bytes(message(attachments=[("u.docx", UNSIGNED)])), WHEN)
            _wait(lambda: registered() == 2, 90, serve)
        finally:
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(60)
    text = log_path.read_text()
    assert code == 0, text
    # The wait itself speaks once (a job that was running when the connection broke may also
    # log its own failure, in its own words).
    assert text.count("kan inte nå databasen (") == 1, text
    assert "databasen svarar igen" in text


def test_database_wait_backs_off_and_speaks_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    """Given a database down for five minutes, then the waits double up to 30 s and the log
    says so once a minute, and once more when it answers again."""
    from intake.service.runner import DatabaseWait

    now = [0.0]
    waiting = DatabaseWait(clock=lambda: now[0])
    delays = []
    with caplog.at_level("WARNING", logger="intake.service"):
        while now[0] < 300:
            delay = waiting.failed("Connection refused")
            delays.append(delay)
            now[0] += delay
        waiting.recovered()
    assert delays[:6] == [1, 2, 4, 8, 16, 30] and max(delays) == 30
    said = [r.getMessage() for r in caplog.records if "kan inte nå databasen" in r.getMessage()]
    assert 5 <= len(said) <= 6
    assert any("svarar igen efter 3" in r.getMessage() for r in caplog.records)
