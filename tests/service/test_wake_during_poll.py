"""A wake-up (IMAP IDLE saw new mail) that comes while the mailbox's poll is running is not
dropped: the poll runs again right after."""

from __future__ import annotations

from pathlib import Path

import pytest

from casefile.app import App
from intake.service import jobs
from intake.service.runner import Service
from tests.service.test_runner import FakeLock, maildir_app, run_in_thread, wait_until


def test_a_wake_during_a_running_poll_polls_again_after_it(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a mailbox polled once an hour, when IDLE's wake-up comes while its first poll
    runs, then a second poll follows that one at once (the service stops after two: --cycles),
    instead of an hour later."""
    app = maildir_app(
        db_url, tmp_path, "kontakt", poll_interval=3600, service={"outbox_interval_seconds": 1}
    )
    service = Service(app, cycles=2)
    real_poll = jobs.poll
    woken_during: list[bool] = []

    def poll_woken_midway(app_: App, mailbox: str, should_stop: object) -> str | None:
        if not woken_during:
            # The wake-up arrives while this poll is running, as IDLE's would.
            service.wake_poll(mailbox)
            woken_during.append(mailbox in service._polling)
        return real_poll(app_, mailbox, should_stop)  # type: ignore[arg-type]

    monkeypatch.setattr(jobs, "poll", poll_woken_midway)
    thread, codes = run_in_thread(service, FakeLock())
    try:
        wait_until(lambda: service.polls["kontakt"] >= 2, "the second poll", timeout=60)
    finally:
        service.request_stop("test")
        thread.join(60)
        app.engine.dispose()
    assert woken_during == [True]
    assert codes == [0] and service.polls["kontakt"] == 2
