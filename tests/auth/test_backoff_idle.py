"""Login backoff (growing waits) and the IDLE watcher's renewal, new-mail wake-up and stop."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from intake.auth.backoff import LoginBackoff, delay_after
from intake.service.idle import IdleWatcher
from tests.intake.conftest import build_app
from tests.support.dovecot import DovecotServer
from tests.support.mail import message

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)


def test_refused_logins_wait_longer_each_time_and_a_success_clears(tmp_path: Path) -> None:
    now = [1000.0]
    backoff = LoginBackoff(tmp_path / "logins.json", clock=lambda: now[0])
    assert backoff.waiting("mailbox:kontakt") is None
    backoff.failed("mailbox:kontakt", "fel lösenord")
    assert "1 gång(er) i rad" in (backoff.waiting("mailbox:kontakt") or "")
    now[0] += delay_after(1) + 1
    assert backoff.waiting("mailbox:kontakt") is None  # one try allowed
    backoff.failed("mailbox:kontakt", "fel lösenord")
    now[0] += delay_after(1) + 1
    assert backoff.waiting("mailbox:kontakt") is not None  # the second wait is longer
    assert delay_after(2) == 2 * delay_after(1) and delay_after(30) == 3600
    assert backoff.waiting("smtp") is None  # each login on its own
    backoff.succeeded("mailbox:kontakt")
    assert backoff.read() == {}


def test_idle_renews_wakes_on_new_mail_and_stops(
    db_url: str, tmp_path: Path, dovecot: DovecotServer
) -> None:
    """Given a watcher renewing every 0.5 s, then it renews, asks for a poll only when mail
    arrives, and ends when the service stops."""
    account = dovecot.add_account()
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    woken: list[float] = []
    stop = threading.Event()
    watcher = IdleWatcher(
        app, app.settings.mailboxes[0], lambda _: woken.append(time.monotonic()), stop, 0.5
    )
    watcher.start()
    deadline = time.monotonic() + 10
    while watcher.idles < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert watcher.idles >= 3 and watcher.offered is True
    assert woken == []
    appended = time.monotonic()
    account.append(bytes(message()), WHEN)
    while not woken and time.monotonic() < appended + 5:
        time.sleep(0.05)
    assert woken and woken[0] - appended < 3
    stop.set()
    watcher.join(5)
    assert not watcher.is_alive()
    app.engine.dispose()
