"""The service's life in-process: failing jobs, --cycles, signals, a lost lock, the state file."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select

from casefile.app import App
from casefile.db.migrate import upgrade
from casefile.db.models import MailboxState
from intake.service import jobs, runner
from intake.service.lock import LockLost
from intake.service.runner import Service
from intake.service.scheduler import JobSpec, build_scheduler
from intake.service.state import state_path
from tests.conftest import make_settings


class FakeLock:
    description = "testlås"

    def __init__(self, lost: bool = False) -> None:
        self.lost = lost

    def check(self) -> None:
        if self.lost:
            raise LockLost("förbindelsen som höll databaslåset bröts")


def maildir_app(
    db_url: str,
    tmp_path: Path,
    *names: str,
    poll_interval: int = 1,
    **sections: dict[str, object],
) -> App:
    boxes = []
    for name in names:
        for sub in ("new", "cur", "tmp"):
            (tmp_path / name / sub).mkdir(parents=True)
        boxes.append(
            {
                "name": name,
                "type": "maildir",
                "path": str(tmp_path / name),
                "poll_interval_seconds": poll_interval,
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


def wait_until(what: Callable[[], bool], label: str, timeout: float = 120) -> None:
    """Wait for an event with a generous deadline: a loaded machine is slow, never wrong."""
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, f"timed out waiting for {label}"
        time.sleep(0.02)


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
    wait_until(lambda: len(calls) >= 2, "the second outbox run")
    service.request_stop("test")
    thread.join(10)
    app.engine.dispose()
    assert codes == [0]
    assert len(calls) >= 2
    assert calls[1] - calls[0] > 0.5  # the next run came on its interval, not at once
    failed = [r for r in caplog.records if "jobbet outbox misslyckades" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None
    state = json.loads(state_path(app.settings).read_text())
    assert state["running"] is False
    assert state["jobs"]["outbox"]["last_ok"] is True  # the later run succeeded


def finished_runs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many runs of each job the scheduler has finished, counted by its own event."""
    finished: Counter[str] = Counter()

    def build(*args: Any, **kwargs: Any) -> BaseScheduler:
        scheduler = build_scheduler(*args, **kwargs)
        scheduler.add_listener(
            lambda event: finished.update([event.job_id]), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        return scheduler

    monkeypatch.setattr(runner, "build_scheduler", build)
    return finished


def test_cycles_stop_the_service_after_every_mailbox_polled_n_times(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Polls come only when the test asks (an hour's interval): what is counted does not
    # depend on how fast a loaded machine runs the scheduler. The outbox runs every second,
    # so the stop never waits long for the outbox run that follows the last poll.
    app = maildir_app(
        db_url,
        tmp_path,
        "kontakt",
        "rapporter",
        poll_interval=3600,
        service={"outbox_interval_seconds": 1},
    )
    service = Service(app, cycles=2)
    stops: list[tuple[str, dict[str, int]]] = []
    request_stop = service.request_stop

    def record_stop(reason: str, exit_code: int = 0) -> None:
        stops.append((reason, dict(service.polls)))
        request_stop(reason, exit_code)

    service.request_stop = record_stop  # type: ignore[method-assign]
    finished = finished_runs(monkeypatch)
    thread, codes = run_in_thread(service, FakeLock())
    # Every mailbox is polled once at start; one cycle of two is not the end. (Wait until the
    # scheduler has let go of those runs: a wake during one is skipped as a second instance.)
    wait_until(lambda: min(finished[f"poll:{n}"] for n in ("kontakt", "rapporter")) >= 1, "polls")
    assert thread.is_alive() and stops == []
    assert service.polls == {"kontakt": 1, "rapporter": 1}
    for name in ("kontakt", "rapporter"):
        service.wake_poll(name)
    thread.join(120)
    app.engine.dispose()
    assert not thread.is_alive()
    assert codes == [0]
    # Stopped by --cycles once both were polled twice, and nothing was polled after that
    assert stops == [("2 hämtningsvarv klara (--cycles)", {"kontakt": 2, "rapporter": 2})]
    assert service.polls == {"kontakt": 2, "rapporter": 2}
    state = json.loads(state_path(app.settings).read_text())
    assert state["jobs"]["poll:kontakt"]["last_ok"] is True
    assert state["jobs"]["poll:kontakt"]["next_run_at"] is None  # stopped: nothing planned


def test_cycles_count_the_scheduled_polls(db_url: str, tmp_path: Path) -> None:
    # The same on the mailboxes' own one-second interval: the service stops by itself, once,
    # after at least two polls of each (how many more depends on the machine's speed).
    app = maildir_app(db_url, tmp_path, "kontakt", "rapporter")
    service = Service(app, cycles=2)
    stopped_at: list[dict[str, int]] = []
    request_stop = service.request_stop

    def record_stop(reason: str, exit_code: int = 0) -> None:
        stopped_at.append(dict(service.polls))
        request_stop(reason, exit_code)

    service.request_stop = record_stop  # type: ignore[method-assign]
    thread, codes = run_in_thread(service, FakeLock())
    thread.join(120)
    app.engine.dispose()
    assert not thread.is_alive()
    assert codes == [0]
    assert len(stopped_at) == 1 and min(stopped_at[0].values()) >= 2


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
