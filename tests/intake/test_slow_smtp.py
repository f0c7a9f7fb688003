"""A slow SMTP server stops neither intake nor the outbox for long.

The server here is real (a socket on loopback) and hostile: it greets and answers EHLO at once,
then answers MAIL FROM one byte per second (for 150 s), so no per-read timeout fires.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, OutboxMail
from intake.mail.poll import poll_all
from intake.outgoing import flush_outbox
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.slow import SlowServer
from tests.support.toml import write_config

INTAKE = str(Path(sys.executable).parent / "intake")
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()


class DrippingSmtp(SlowServer):
    """Greets, answers EHLO, then drips its answer to MAIL FROM one byte a second."""

    def talk(self, conn: socket.socket) -> None:
        conn.sendall(b"220 slow.test ESMTP\r\n")
        reader = conn.makefile("rb")
        while not self.stopped.is_set():
            line = reader.readline()
            if not line:
                return
            if line.upper().startswith((b"EHLO", b"HELO")):
                conn.sendall(b"250 slow.test\r\n")
                continue
            # Never finishes the reply line; hangs up after 150 s (longer than any test here
            # needs it to hang).
            self.drip(conn, 150)
            return


@pytest.fixture
def slow_smtp() -> Iterator[DrippingSmtp]:
    server = DrippingSmtp()
    yield server
    server.close()


def _smtp(server: DrippingSmtp, **extra: object) -> dict[str, object]:
    return {
        "transport": "smtp",
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "timeout_seconds": 10,
        "from_address": "kontakt@finsam.test",
        **extra,
    }


def test_one_smtp_session_has_an_overall_deadline(
    db_url: str, tmp_path: Path, account: Account, slow_smtp: DrippingSmtp
) -> None:
    """Given a server that drips its answer, when the outbox is flushed, then the exchange is cut
    at the deadline and the acknowledgement waits in the queue for the next flush."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), smtp=_smtp(slow_smtp, deadline_seconds=3)
    )
    poll_all(app)
    started = time.monotonic()
    result = flush_outbox(app.sessions, app.settings)
    assert time.monotonic() - started < 9  # 3 s deadline; without it, for ever
    assert result.retried == 1 and result.sent == 0
    with app.sessions() as s:
        (row,) = s.scalars(select(OutboxMail)).all()
    assert row.state == "queued" and row.last_error


def test_polling_goes_on_while_mail_cannot_leave(
    db_url: str, tmp_path: Path, account: Account, slow_smtp: DrippingSmtp
) -> None:
    """Given `intake serve` whose SMTP server hangs (no deadline worth the name), when a second
    report arrives, then it is registered on the next poll, and `intake status` flags the
    outbox job as running far past its interval."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    box = {**account.mailbox_settings(), "poll_interval_seconds": 1}
    config = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "mailboxes": [box],
            "smtp": _smtp(slow_smtp, deadline_seconds=600),
            "service": {
                "lock_path": str(tmp_path / "casefile.lock"),
                "outbox_interval_seconds": 1,
                "misfire_grace_seconds": 1,
                "stop_timeout_seconds": 2,
            },
        },
    )
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    serve = subprocess.Popen(
        [INTAKE, "--config", str(config), "serve", "--for", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        _wait(lambda: len(_documents(app)) == 1, 60)
        time.sleep(2)  # the outbox job is now hanging on the server
        account.append(bytes(message(attachments=[("u.docx", UNSIGNED)])), WHEN)
        _wait(lambda: len(_documents(app)) == 2, 30)
        time.sleep(2)
        status = subprocess.run(
            [INTAKE, "--config", str(config), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        report = json.loads(status.stdout)
        assert "outbox" in report["overdue_jobs"] and status.returncode == 1
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=60)


def _documents(app: App) -> list[str]:
    with app.sessions() as s:
        return list(s.scalars(select(Document.diarienummer)))


def _wait(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")
