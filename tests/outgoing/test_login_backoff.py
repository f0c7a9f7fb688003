"""A refused SMTP login is the operator's to fix, not the mail's: while the login backs off a
flush claims nothing and counts no attempt, so the acknowledgement never becomes `failed`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from intake.auth.backoff import SMTP_KEY, for_settings
from intake.outgoing import flush_outbox
from tests.outgoing.conftest import build_app, outbox, register
from tests.support.smtp import SmtpServer


def test_a_refused_login_never_uses_up_the_attempts(db_url: str, tmp_path: Path) -> None:
    """Given an aiosmtpd that refuses our password and retry_max_attempts = 2, when the outbox
    is flushed again and again (in the backoff and after it), then the acknowledgement stays
    queued with no attempt counted, and a flush in the backoff does not even connect."""
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
        register(app)
        backoff = for_settings(app.settings)

        first = flush_outbox(app.sessions, app.settings)
        assert (first.sent, first.failed) == (0, 0)
        [row] = outbox(app)
        assert (row.state, row.attempts) == ("queued", 0)
        assert backoff.waiting(SMTP_KEY) is not None

        for _ in range(3):  # in the backoff: nothing claimed, nothing counted
            result = flush_outbox(app.sessions, app.settings)
            assert (result.sent, result.retried, result.failed) == (0, 0, 0)
        [row] = outbox(app)
        assert (row.state, row.attempts) == ("queued", 0)

        for _ in range(3):  # the backoff runs out; the login is refused again each time
            state = json.loads(backoff.path.read_text(encoding="utf-8"))
            state[SMTP_KEY]["next_try"] = 0
            backoff.path.write_text(json.dumps(state), encoding="utf-8")
            flush_outbox(app.sessions, app.settings)
        [row] = outbox(app)
        assert (row.state, row.attempts) == ("queued", 0)
        assert backoff.read()[SMTP_KEY]["failures"] == 4
        assert not server.messages
    finally:
        server.stop()
        os.environ.pop("TEST_SMTP_WRONG_PW", None)
