"""`intake status` says why mail does not leave: the outbox's last delivery error, and exit 1
after service.max_failed_deliveries failed attempts in a row (issue 24), against a real
aiosmtpd that is down, refuses, or is reached with the wrong TLS setting."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from casefile.app import App
from casefile.db.migrate import upgrade
from casefile.db.models import OutboxMail
from intake.cli import cli
from tests.support.mail import message
from tests.support.smtp import SmtpServer
from tests.support.toml import write_config


class Office:
    """A configuration with no mailbox and SMTP at `server` (started or not)."""

    def __init__(self, db_url: str, tmp_path: Path, server: SmtpServer, **smtp: Any) -> None:
        self.path = write_config(
            tmp_path / "casefile.toml",
            {
                "database": {"url": db_url},
                "storage": {"path": str(tmp_path / "archive")},
                "service": {"lock_path": str(tmp_path / "casefile.lock")},
                "smtp": server.smtp_settings(from_address="kontakt@finsam.test", **smtp),
            },
        )
        self.app = App.from_config(str(self.path))
        upgrade(self.app.engine)
        self.queued = 0

    def queue(self, count: int) -> None:
        with self.app.sessions() as s, s.begin():
            for _ in range(count):
                self.queued += 1
                n = self.queued
                s.add(
                    OutboxMail(
                        dedupe_key=f"kvittens:test:{n}",
                        kind="kvittens",
                        recipient=f"anna{n}@bollnas.test",
                        subject=f"Kvittens {n}",
                        message_id=f"<{n}@finsam.test>",
                        raw=bytes(message(subject=f"Kvittens {n}")),
                        state="queued",
                        next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
                    )
                )

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.path), *args])

    def status(self) -> tuple[int, str, dict[str, Any]]:
        text = self.run("status")
        data = json.loads(self.run("status", "--json").stdout)
        return text.exit_code, text.stdout, data["outbox"]["delivery"]


def delivery_line(text: str) -> str:
    [line] = [x for x in text.splitlines() if "leveransen har misslyckats" in x]
    return line


def test_three_failed_attempts_in_a_row_make_status_exit_1(db_url: str, tmp_path: Path) -> None:
    # Given three queued mails and an SMTP server that is down (nothing listens on its port)
    server = SmtpServer()
    office = Office(db_url, tmp_path, server)
    office.queue(3)
    refused = f"kunde inte ansluta till 127.0.0.1:{server.port}: [Errno 111] Connection refused"
    # When the outbox is flushed: each flush tries one mail and stops (the server is down)
    for attempt in (1, 2):
        assert office.run("send").exit_code == 0
        code, text, delivery = office.status()
        # Then below the limit status says so and stays 0
        assert code == 0, text
        assert delivery["failures_in_a_row"] == attempt and not delivery["failing"]
        assert delivery_line(text).startswith(f"  leveransen har misslyckats {attempt} gång")
        assert delivery_line(text).endswith(refused)
    office.run("send")
    code, text, delivery = office.status()
    # and at the third failed attempt in a row it exits 1 with the last error
    assert code == 1, text
    assert delivery["failures_in_a_row"] == 3 and delivery["failing"] is True
    assert delivery["last_error"] == refused
    assert delivery_line(text).startswith("FEL: leveransen har misslyckats 3 gånger i rad sedan ")
    # When the server is back and a mail gets through, the count starts again
    server.start()
    try:
        office.queue(1)
        assert office.run("send").exit_code == 0
        assert len(server.handler.messages) == 1
    finally:
        server.stop()
    code, text, delivery = office.status()
    assert code == 0, text
    assert delivery["failures_in_a_row"] == 0 and delivery["last_error"] is None
    assert "leveransen" not in text
    office.app.engine.dispose()


def test_a_server_refusing_every_mail_counts_each_attempt(db_url: str, tmp_path: Path) -> None:
    server = SmtpServer()
    server.handler.fail_next(3, code=451, stage="RCPT")
    server.start()
    try:
        office = Office(db_url, tmp_path, server)
        office.queue(3)
        office.run("send")
    finally:
        server.stop()
    code, text, delivery = office.status()
    assert code == 1, text
    assert delivery["failures_in_a_row"] == 3
    assert delivery_line(text).endswith("RCPT TO: 451 Try again later")
    office.app.engine.dispose()


def test_the_limit_is_configurable_and_tls_mistakes_carry_their_hint(
    db_url: str, tmp_path: Path
) -> None:
    server = SmtpServer(tls="none")
    server.start()
    try:
        office = Office(db_url, tmp_path, server, security="ssl")
        text = office.path.read_text(encoding="utf-8")
        office.path.write_text(text.replace("[service]", "[service]\nmax_failed_deliveries = 1"))
        office.queue(1)
        office.run("send")
    finally:
        server.stop()
    code, text, delivery = office.status()
    assert code == 1, text
    assert delivery["failing"] and delivery["max_failed_deliveries"] == 1
    assert delivery_line(text).endswith(
        f'smtp.security = "ssl", men port {server.port} börjar okrypterat: använd '
        'security = "starttls" med port 587, eller port 465 med "ssl"'
    )
    office.app.engine.dispose()
