"""IMAP IDLE in `intake serve` against a real Dovecot: acknowledged within seconds."""

from __future__ import annotations

import datetime as dt
import signal
import time
from pathlib import Path

from tests.service.support import ServiceProcess, migrated_app, write_config
from tests.support.dovecot import DovecotServer
from tests.support.mail import REPORTS, message
from tests.support.smtp import SmtpServer

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
PDF = (REPORTS / "r01_cell_iso_endash.pdf").read_bytes()


def wait_until(what: object, timeout: float) -> float:
    """Seconds until `what()` is true; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if what():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def test_idle_acknowledges_new_mail_within_5_seconds_and_survives_a_drop(
    db_url: str, tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer
) -> None:
    """Given `intake serve` with a 300-second poll interval on a server that offers IDLE,
    when a report arrives, then it is acknowledged within 5 s; when the server drops the IDLE
    connection, it is reopened and the next report is acknowledged within 5 s too."""
    account = dovecot.add_account()
    config = write_config(
        tmp_path,
        db_url,
        [account.mailbox_settings(poll_interval_seconds=300)],
        smtp.smtp_settings(),
        service={"outbox_interval_seconds": 300},
    )
    migrated_app(config).engine.dispose()
    service = ServiceProcess(config)
    try:
        service.wait_for_log("väntar på ny post (IDLE)")
        account.append(bytes(message(attachments=[("slutrapport.docx", DOCX)])), WHEN)
        first = wait_until(lambda: len(smtp.messages) >= 1, 5.0)
        dovecot.kick(account.username)
        service.wait_for_log("IDLE-förbindelsen bröts", timeout=10)
        service.wait_for(
            lambda: service.log().count("väntar på ny post (IDLE)") >= 2, 15, "IDLE reopened"
        )
        account.append(
            bytes(
                message(
                    sender="Bo Ek <bo.ek@ovanaker.test>",
                    attachments=[("rapport.pdf", PDF)],
                )
            ),
            WHEN,
        )
        second = wait_until(lambda: len(smtp.messages) >= 2, 5.0)
        service.signal(signal.SIGTERM)
        assert service.wait(30) == 0
    finally:
        service.kill()
    assert first < 5.0 and second < 5.0
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [
        "anna.berg@bollnas.test",
        "bo.ek@ovanaker.test",
    ]
