"""`intake serve` as a real process against Dovecot and aiosmtpd."""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
from pathlib import Path

import pytest

from intake.service.lock import LockBusy, instance_lock
from tests.service.support import (
    ServiceProcess,
    documents,
    migrated_app,
    run_intake,
    write_config,
)
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.smtp import SmtpServer

DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
INTERVAL = 2


def report(i: int) -> bytes:
    # A sender of its own: the same file from the same sender would be a resend, not a report.
    return bytes(
        message(sender=f"Anna Berg <anna{i}@bollnas.test>", attachments=[("rapport.docx", DOCX)])
    )


def acknowledged(smtp: SmtpServer, message_id: str) -> bool:
    return any(m.message["In-Reply-To"] == message_id for m in smtp.messages)


def test_picks_up_new_mail_and_acknowledges_within_two_intervals(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer
) -> None:
    config = write_config(
        tmp_path,
        db_url,
        [account.mailbox_settings(poll_interval_seconds=INTERVAL)],
        smtp.smtp_settings(),
    )
    app = migrated_app(config)
    service = ServiceProcess(config)
    try:
        service.wait_for_log("intake serve startar")
        # The first poll (at start) has run once the state file records it.
        state = tmp_path / "casefile.state.json"
        service.wait_for(
            lambda: (
                state.exists()
                and "last_run_at" in state.read_text()
                and json.loads(state.read_text())["jobs"]["poll:kontakt"]["last_run_at"] is not None
            ),
            20,
            "first poll",
        )
        mail = message(attachments=[("slutrapport.docx", DOCX)])
        account.append(bytes(mail), WHEN)
        appended = time.monotonic()
        service.wait_for(lambda: acknowledged(smtp, mail["Message-ID"]), 30, "acknowledgement")
        latency = time.monotonic() - appended
        assert latency <= 2 * INTERVAL, f"acknowledged after {latency:.1f} s"
        (doc,) = documents(app)
        (ack,) = smtp.messages
        assert doc.diarienummer in ack.message["Subject"]

        # While it runs, nobody else gets the lock, and status shows the schedule.
        with (
            pytest.raises(LockBusy, match="en annan intake-process"),
            instance_lock(app, wait=False),
        ):
            pass
        status = run_intake(config, "status", "--json")
        assert status.returncode == 0, status.stderr
        report_ = json.loads(status.stdout)
        assert report_["service"]["running"] is True
        assert report_["mailboxes"][0]["last_success_at"] is not None
        assert report_["mailboxes"][0]["next_poll_at"] is not None
        assert set(report_["service"]["next_runs"]) == {
            "poll:kontakt",
            "outbox",
            "reminders",
            "digest",
        }

        service.signal(signal.SIGTERM)
        started = time.monotonic()
        assert service.wait(30) == 0
        assert time.monotonic() - started < 30
    finally:
        service.kill()
        app.engine.dispose()
    assert "intake serve har stannat" in service.log()
    after = json.loads(run_intake(config, "status", "--json").stdout)
    assert after["service"]["running"] is False
    assert after["service"]["next_runs"] == {}
