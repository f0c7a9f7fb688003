"""A refused SMTP login is the operator's to fix, not the mail's: while the login backs off a
flush claims nothing and counts no attempt, so the acknowledgement never becomes `failed`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

import pytest

from intake.auth.backoff import SMTP_KEY, for_settings
from intake.outgoing import flush_outbox
from tests.outgoing.conftest import build_app, outbox, register
from tests.support.smtp import SmtpServer


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "intake.outgoing.sender"
    ]


def test_a_refused_login_never_uses_up_the_attempts(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Given an aiosmtpd that refuses our password and retry_max_attempts = 2, when the outbox
    (two mails) is flushed again and again (in the backoff and after it), then the mails stay
    queued with no attempt counted, the first flush stops at the refusal, a flush in the
    backoff does not even connect, and the operator's log says so once per flush."""
    server = SmtpServer(auth=("kontakt@finsam.test", "rätt"))
    server.start()
    os.environ["TEST_SMTP_WRONG_PW"] = "fel"
    try:
        app = build_app(
            db_url,
            tmp_path,
            smtp=server.smtp_settings(
                username="kontakt@finsam.test", password_env="TEST_SMTP_WRONG_PW"
            ),
            mail={"retry_max_attempts": 2, "retry_base_seconds": 60},
        )
        register(app, signed=False)  # a kvittens and a komplettering
        backoff = for_settings(app.settings)
        caplog.set_level(logging.INFO, logger="intake.outgoing.sender")

        now = dt.datetime.now(dt.UTC)
        first = flush_outbox(app.sessions, app.settings, now=now)
        assert (first.sent, first.retried, first.failed) == (0, 1, 0)
        row, other = outbox(app)
        assert (row.state, row.attempts) == ("queued", 0)
        assert row.next_attempt_at.replace(tzinfo=dt.UTC) == now  # due again at once
        assert row.last_error == (
            "SMTP-inloggningen nekades (535 5.7.8 Authentication credentials invalid): "
            "kontrollera användarnamn och lösenord"
        )
        assert (other.state, other.attempts, other.last_error) == ("queued", 0, None)
        assert _lines(caplog) == [("WARNING", f"outbox {row.id}: login refused: {row.last_error}")]
        waiting = backoff.waiting(SMTP_KEY)
        assert waiting is not None

        for _ in range(3):  # in the backoff: nothing claimed, nothing counted
            caplog.clear()
            result = flush_outbox(app.sessions, app.settings)
            assert (result.sent, result.retried, result.failed) == (0, 0, 0)
            assert _lines(caplog) == [("INFO", f"outbox: not sending: SMTP: {waiting}")]
        assert [(r.state, r.attempts) for r in outbox(app)] == [("queued", 0), ("queued", 0)]
        caplog.clear()  # nothing due yet: nothing to say, even in the backoff
        quiet = flush_outbox(app.sessions, app.settings, now=now - dt.timedelta(hours=1))
        assert (quiet.sent, quiet.retried, quiet.failed) == (0, 0, 0)
        assert _lines(caplog) == []

        for _ in range(3):  # the backoff runs out; the login is refused again each time
            state = json.loads(backoff.path.read_text(encoding="utf-8"))
            state[SMTP_KEY]["next_try"] = 0
            backoff.path.write_text(json.dumps(state), encoding="utf-8")
            flush_outbox(app.sessions, app.settings)
        assert [(r.state, r.attempts) for r in outbox(app)] == [("queued", 0), ("queued", 0)]
        assert backoff.read()[SMTP_KEY]["failures"] == 4
        assert not server.messages
    finally:
        server.stop()
        os.environ.pop("TEST_SMTP_WRONG_PW", None)
