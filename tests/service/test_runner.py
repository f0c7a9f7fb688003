"""The service's life in-process: failing jobs, --cycles, signals, a lost lock, the state file."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.migrate import upgrade
from casefile.db.models import MailboxState
from intake.service import jobs, runner
from intake.service.lock import LockLost
from intake.service.runner import Service
from intake.service.scheduler import JobSpec
from intake.service.state import state_path
from tests.conftest import make_settings


class FakeLock:
    description = "testlås"

    def __init__(self, lost: bool = False) -> None:
        self.lost = lost

    def check(self) -> None:
        if self.lost:
            raise LockLost("förbindelsen som höll databaslåset bröts")


def maildir_app(db_url: str, tmp_path: Path, *names: str, **sections: dict[str, object]) -> App:
    boxes = []
    for name in names:
        for sub in ("new", "cur", "tmp"):
            (tmp_path / name / sub).mkdir(parents=True)
        boxes.append(
            {
                "name": name,
                "type": "maildir",
                "path": str(tmp_path / name),
                "poll_interval_seconds": 1,
            }
        )
    app = App(make_settings(db_url, tmp_path, mailboxes=boxes, **sections))  # type: ignore[arg-type]
    upgrade(app.engine)
    return app


def run_in_thread(service: Service, lock: FakeLock) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(service.run(lock)))
    thread.start()
    return thread, codes


def test_a_failing_job_is_logged_and_runs_again_as_planned(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = maildir_app(db_url, tmp_path, service={"outbox_interval_seconds": 1})
    calls: list[float] = []

    def flaky(_app: App, _stop: object = None) -> str | None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("SMTP-servern svarade konstigt")
        return None

    monkeypatch.setattr(jobs, "flush", flaky)
    caplog.set_level(logging.INFO, logger="intake.service")
    service = Service(app)
    thread, codes = run_in_thread(service, FakeLock())
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    service.request_stop("test")
    thread.join(10)
    app.engine.dispose()
    assert codes == [0]
    assert len(calls) >= 2
    assert 0.5 < calls[1] - calls[0] < 2.5  # the next run came on its interval
    failed = [r for r in caplog.records if "jobbet outbox misslyckades" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None
    state = json.loads(state_path(app.settings).read_text())
    assert state["running"] is False
    assert state["jobs"]["outbox"]["last_ok"] is True  # the later run succeeded


def test_cycles_stop_the_service_after_every_mailbox_polled_n_times(
    db_url: str, tmp_path: Path
) -> None:
    app = maildir_app(db_url, tmp_path, "kontakt", "rapporter")
    service = Service(app, cycles=2)
    thread, codes = run_in_thread(service, FakeLock())
    thread.join(20)
    app.engine.dispose()
    assert not thread.is_alive()
    assert codes == [0]
    assert service.polls["kontakt"] >= 2 and service.polls["rapporter"] >= 2
    assert max(service.polls.values()) <= 3
    state = json.loads(state_path(app.settings).read_text())
    assert state["jobs"]["poll:kontakt"]["last_ok"] is True
    assert state["jobs"]["poll:kontakt"]["next_run_at"] is None  # stopped: nothing planned


def test_a_lost_lock_stops_the_service_with_exit_1(db_url: str, tmp_path: Path) -> None:
    app = maildir_app(db_url, tmp_path, "kontakt")
    service = Service(app)
    thread, codes = run_in_thread(service, FakeLock(lost=True))
    thread.join(20)
    with app.sessions() as session:
        polled = session.scalars(select(MailboxState)).all()
    app.engine.dispose()
    assert codes == [1]
    assert polled == []  # it did not poll without the lock
    state = json.loads(state_path(app.settings).read_text())
    assert "databaslåset" in state["jobs"]["poll:kontakt"]["last_error"]


def test_first_signal_asks_for_a_stop_second_exits_at_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = maildir_app(db_url, tmp_path)
    exits: list[int] = []
    monkeypatch.setattr(runner.os, "_exit", exits.append)
    service = Service(app)
    service.handle_signal(signal.SIGTERM, None)
    assert service.stop_requested.is_set() and exits == []
    service.handle_signal(signal.SIGINT, None)
    assert exits == [128 + signal.SIGINT]
    app.engine.dispose()


def test_no_job_starts_after_a_stop_request(db_url: str, tmp_path: Path) -> None:
    app = maildir_app(db_url, tmp_path, "kontakt")
    service = Service(app)
    service.request_stop("test")
    service.run_job(JobSpec("poll:kontakt", "poll", trigger=None, mailbox="kontakt"))  # type: ignore[arg-type]
    assert service.polls["kontakt"] == 0
    assert not state_path(app.settings).exists()
    app.engine.dispose()
