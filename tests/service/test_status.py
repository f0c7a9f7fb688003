"""`intake status`: the report, the staleness rule and the exit status monitoring relies on."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import click
from click.testing import CliRunner

from casefile.app import App
from casefile.db.migrate import upgrade
from casefile.db.models import Attachment, MailboxState, OutboxMail, SourceMessage, StoredFile
from intake.commands.service import status_command
from intake.service.state import state_path
from intake.service.status import is_stale, status_report
from tests.conftest import make_settings

NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


def test_staleness_rule() -> None:
    assert is_stale(None, NOW, 3600)  # never polled successfully
    assert not is_stale(NOW - dt.timedelta(seconds=3600), NOW, 3600)
    assert is_stale(NOW - dt.timedelta(seconds=3601), NOW, 3600)


def status_app(db_url: str, tmp_path: Path) -> App:
    boxes = [
        {"name": "kontakt", "host": "imap.test"},
        {"name": "rapporter", "host": "imap.test"},
        {"name": "gammal", "host": "imap.test", "enabled": False},
    ]
    app = App(make_settings(db_url, tmp_path, mailboxes=boxes))  # type: ignore[arg-type]
    upgrade(app.engine)
    return app


def message_row(mailbox: str, uid: int, state: str) -> SourceMessage:
    return SourceMessage(
        mailbox=mailbox,
        folder="INBOX",
        uidvalidity=1,
        uid=uid,
        raw_sha256="a" * 64,
        internal_date=NOW,
        state=state,
    )


def outbox_row(n: int, state: str, error: str | None = None) -> OutboxMail:
    return OutboxMail(
        dedupe_key=f"kvittens:test:{n}",
        kind="kvittens",
        recipient=f"anna{n}@bollnas.test",
        subject=f"Kvittens {n}",
        message_id=f"<{n}@finsam.test>",
        raw=b"x",
        state=state,
        last_error=error,
        created_at=NOW - dt.timedelta(minutes=n),
    )


def fill(app: App) -> None:
    with app.sessions() as s, s.begin():
        s.add(StoredFile(sha256="a" * 64, size=1))
        s.add_all(
            [
                MailboxState(
                    mailbox="kontakt",
                    folder="INBOX",
                    last_uid=3,
                    last_success_at=NOW - dt.timedelta(minutes=5),
                    # An old error, before the last good poll: not news.
                    last_error="kan inte nå imap.test",
                    last_error_at=NOW - dt.timedelta(hours=1),
                    waiting=4,
                ),
                MailboxState(
                    mailbox="rapporter",
                    folder="INBOX",
                    last_uid=0,
                    last_success_at=NOW - dt.timedelta(hours=2),
                    last_error="brevlåda rapporter: inloggningen nekades",
                    last_error_at=NOW - dt.timedelta(minutes=1),
                ),
            ]
        )
        quarantined = message_row("kontakt", 1, "quarantined")
        s.add_all(
            [
                quarantined,
                message_row("kontakt", 2, "failed"),
                message_row("kontakt", 3, "registered"),
            ]
        )
        s.flush()
        s.add(
            Attachment(
                source_message_id=quarantined.id, sha256="a" * 64, size=1, state="quarantined"
            )
        )
        s.add_all(
            [
                outbox_row(1, "queued"),
                outbox_row(2, "queued"),
                outbox_row(3, "sent"),
                outbox_row(4, "failed", "550 Mailbox unavailable"),
                outbox_row(5, "uncertain", "avbröts under sändning"),
            ]
        )


def test_report_per_mailbox_outbox_and_quarantine(
    db_url: str, db_kind: str, tmp_path: Path
) -> None:
    app = status_app(db_url, tmp_path)
    fill(app)
    report = status_report(app, now=NOW)
    app.engine.dispose()
    boxes = {b["name"]: b for b in report["mailboxes"]}
    kontakt, rapporter, gammal = boxes["kontakt"], boxes["rapporter"], boxes["gammal"]
    assert kontakt["last_success_at"] == "2026-03-09T09:55:00+00:00"
    assert not kontakt["stale"] and not kontakt["failing"]
    assert (kontakt["waiting"], kontakt["failed"], kontakt["quarantined"]) == (4, 1, 1)
    assert kontakt["quarantined_attachments"] == 1 and kontakt["messages"] == 3
    assert rapporter["stale"] and rapporter["failing"]
    assert rapporter["last_error"] == "brevlåda rapporter: inloggningen nekades"
    assert not gammal["stale"]  # a disabled mailbox is never stale
    assert report["stale_mailboxes"] == ["rapporter"] and report["healthy"] is False
    counts = report["outbox"]["counts"]
    assert (counts["queued"], counts["sent"], counts["failed"], counts["uncertain"]) == (2, 1, 1, 1)
    assert report["outbox"]["oldest_queued_at"] == "2026-03-09T09:58:00+00:00"
    assert [p["id"] for p in report["outbox"]["problems"]] == [5, 4]
    assert report["quarantined"] == 1 and report["failed_messages"] == 1
    # Never run: None ("no state file") on SQLite; PostgreSQL's lock says False for sure.
    assert report["service"]["running"] is (False if db_kind == "postgresql" else None)
    assert report["service"]["next_runs"] == {}


def cli() -> click.Group:
    group = click.Group("intake")
    group.add_command(status_command, "status")
    return group


def test_status_exit_status_follows_staleness(db_url: str, tmp_path: Path) -> None:
    app = status_app(db_url, tmp_path)
    runner = CliRunner()
    # Nothing polled yet: every enabled mailbox is stale.
    stale = runner.invoke(cli(), ["status", "--json"], obj=app)
    assert stale.exit_code == 1, stale.output
    assert json.loads(stale.stdout)["stale_mailboxes"] == ["kontakt", "rapporter"]
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    with app.sessions() as s, s.begin():
        for name in ("kontakt", "rapporter"):
            s.add(MailboxState(mailbox=name, folder="INBOX", last_uid=0, last_success_at=recent))
    fresh = runner.invoke(cli(), ["status", "--json"], obj=App(app.settings))
    assert fresh.exit_code == 0, fresh.output
    assert json.loads(fresh.stdout)["healthy"] is True
    text = runner.invoke(cli(), ["status"], obj=App(app.settings))
    assert text.exit_code == 0
    assert "Brevlåda kontakt (INBOX): senast hämtad" in text.stdout
    assert "Brevlåda gammal (INBOX): avstängd" in text.stdout
    assert "Utkorg: 0 i kö" in text.stdout
    app.engine.dispose()


def test_a_service_that_died_is_not_shown_as_running(
    db_url: str, db_kind: str, tmp_path: Path
) -> None:
    app = status_app(db_url, tmp_path)
    state_path(app.settings).write_text(
        json.dumps(
            {
                "pid": 2**22 + 12345,  # above Linux's default pid_max: no such process
                "host": socket.gethostname(),
                "running": True,
                "started_at": "2026-03-09T08:00:00+00:00",
                "updated_at": "2026-03-09T09:00:00+00:00",
                "jobs": {"poll:kontakt": {"next_run_at": "2026-03-09T09:02:00+00:00"}},
            }
        )
    )
    report = status_report(app, now=NOW)
    app.engine.dispose()
    assert report["service"]["running"] is False
    assert report["service"]["next_runs"] == {}
    assert report["mailboxes"][0]["next_poll_at"] is None
