"""One outbox run drains the queue at the set pace (issue 25): a backlog, and mail queued while
the run sends, leave in that run rather than one batch per outbox interval; `mail.max_per_minute`
spaces them (checked on the recorded sent_at, not on a stopwatch); a shutdown ends the run."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from casefile.app import App
from intake.outgoing import flush_outbox
from tests.outgoing.conftest import build_app, outbox, register, reply
from tests.support.smtp import Received, SmtpServer


def paced_app(db_url: str, tmp_path: Path, smtp: SmtpServer, per_minute: int) -> App:
    return build_app(
        db_url,
        tmp_path,
        smtp=smtp.smtp_settings(),
        mail={"retry_base_seconds": 60, "max_per_minute": per_minute},
    )


@pytest.fixture
def fast_app(db_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[App]:
    app = paced_app(db_url, tmp_path, smtp, per_minute=300)  # one mail every 0.2 s
    yield app
    app.engine.dispose()


def queue(app: App, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        register(app, reply(recipient=f"r{i}@kommun{i}.test"), title=f"T{i}", organisation=f"O{i}")


def test_a_backlog_and_mail_queued_meanwhile_leave_in_one_run_at_the_pace(
    fast_app: App, smtp: SmtpServer
) -> None:
    queue(fast_app, 4)

    def more_mail_arrives(_received: Received) -> None:
        smtp.handler.on_accept = None
        queue(fast_app, 2, first=4)  # registered while the run is sending

    smtp.handler.on_accept = more_mail_arrives
    result = flush_outbox(fast_app.sessions, fast_app.settings)
    assert (result.sent, result.retried, result.failed, result.uncertain) == (6, 0, 0, 0)
    rows = outbox(fast_app)
    assert len(smtp.messages) == 6 and {r.state for r in rows} == {"sent"}
    stamps = sorted(r.sent_at for r in rows if r.sent_at is not None)
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert len(gaps) == 5 and min(gaps) >= dt.timedelta(seconds=60 / 300)


def test_the_pace_holds_from_the_previous_run(fast_app: App, smtp: SmtpServer) -> None:
    queue(fast_app, 1)
    assert flush_outbox(fast_app.sessions, fast_app.settings).sent == 1
    queue(fast_app, 1, first=1)
    assert flush_outbox(fast_app.sessions, fast_app.settings).sent == 1
    first, second = (r.sent_at for r in outbox(fast_app))
    assert first is not None and second is not None
    assert second - first >= dt.timedelta(seconds=60 / 300)


def test_a_shutdown_ends_a_paced_run_and_the_rest_waits(
    db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    app = paced_app(db_url, tmp_path, smtp, per_minute=6)  # one mail every 10 s
    queue(app, 3)
    stop = threading.Event()
    smtp.handler.on_accept = lambda _received: stop.set()  # the service is told to stop
    result = flush_outbox(app.sessions, app.settings, stop=stop)
    assert result.sent == 1 and len(smtp.messages) == 1
    assert [r.state for r in outbox(app)] == ["sent", "queued", "queued"]
    app.engine.dispose()


def test_limit_still_caps_one_run(fast_app: App, smtp: SmtpServer) -> None:
    queue(fast_app, 3)
    assert flush_outbox(fast_app.sessions, fast_app.settings, limit=2).sent == 2
    assert [r.state for r in outbox(fast_app)] == ["sent", "sent", "queued"]
