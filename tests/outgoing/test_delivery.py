"""Delivery through a real SMTP server (aiosmtpd): retries, refusals, crashes, TLS and AUTH."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from casefile.app import App
from casefile.config import Settings
from casefile.db.models import Event, OutboxMail
from intake.outgoing import flush_outbox, recover_interrupted, requeue_mail
from intake.outgoing.sender import RequeueError
from tests.outgoing.conftest import SENDER, build_app, later, outbox, register, reply
from tests.support.smtp import Received, SmtpServer


def message_ids(server: SmtpServer) -> list[str]:
    return [str(m.message["Message-ID"]) for m in server.messages]


def test_kvittens_is_delivered_once_to_the_sender(smtp_app: App, smtp: SmtpServer) -> None:
    register(smtp_app)
    result = flush_outbox(smtp_app.sessions, smtp_app.settings)
    assert (result.sent, result.retried, result.failed, result.uncertain) == (1, 0, 0, 0)
    [got] = smtp.messages
    [row] = outbox(smtp_app)
    assert got.mail_from == "<>"  # the null reverse-path (RFC 3834)
    assert got.rcpt_tos == [SENDER]
    assert got.raw.replace(b"\r\n", b"\n") == row.raw.replace(b"\r\n", b"\n")
    assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 0
    assert len(smtp.messages) == 1
    with smtp_app.sessions() as s:
        assert s.query(Event).filter_by(action="mail_sent").count() == 1


def test_smtp_down_then_up_delivers_later_once(smtp_app: App, smtp: SmtpServer) -> None:
    """Given the server is down, the mail waits with backoff; when it is up, it goes once."""
    smtp.stop()
    register(smtp_app, title="A", organisation="A")
    register(smtp_app, reply(recipient="b@bollnas.test"), title="B", organisation="B")
    before = dt.datetime.now(dt.UTC)
    result = flush_outbox(smtp_app.sessions, smtp_app.settings)
    # The first failure to connect ends the run: no point knocking 100 times on a closed door.
    assert (result.sent, result.retried) == (0, 1)
    first, second = outbox(smtp_app)
    assert first.state == "queued" and first.attempts == 1
    assert "kunde inte ansluta" in (first.last_error or "")
    assert first.next_attempt_at >= before + dt.timedelta(seconds=59)
    assert second.attempts == 0
    smtp.start()
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 1  # the one not waiting
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(1)).sent == 1
    assert sorted(message_ids(smtp)) == sorted(r.message_id for r in outbox(smtp_app))
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(48)).sent == 0
    assert len(smtp.messages) == 2


def test_4xx_then_success(smtp_app: App, smtp: SmtpServer) -> None:
    """451 twice, then accepted: delivered exactly once, after three attempts."""
    smtp.handler.fail_next(2, 451)
    register(smtp_app)
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).retried == 1
    [row] = outbox(smtp_app)
    assert row.last_error == "DATA: 451 Try again later"
    delay_1 = row.next_attempt_at
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(0.5)).retried == 1
    [row] = outbox(smtp_app)
    assert row.next_attempt_at - later(0.5) > dt.timedelta(seconds=100)  # the delay doubled
    assert row.next_attempt_at > delay_1
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(2)).sent == 1
    [row] = outbox(smtp_app)
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(smtp.messages) == 1
    assert smtp.handler.attempts == 3


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_5xx_is_marked_failed_and_not_retried(smtp_app: App, smtp: SmtpServer, stage: str) -> None:
    smtp.handler.fail_next(1, 550, stage)
    register(smtp_app)
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).failed == 1
    [row] = outbox(smtp_app)
    assert row.state == "failed"
    assert row.last_error == f"{stage if stage == 'DATA' else 'RCPT TO'}: 550 Mailbox unavailable"
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(48)).sent == 0
    assert smtp.messages == []
    with smtp_app.sessions() as s:
        assert s.query(Event).filter_by(action="mail_failed").count() == 1


def test_one_refusal_does_not_stop_the_others(smtp_app: App, smtp: SmtpServer) -> None:
    smtp.handler.fail_next(1, 550, "RCPT")
    register(smtp_app, title="A", organisation="A")
    register(smtp_app, reply(recipient="b@bollnas.test"), title="B", organisation="B")
    result = flush_outbox(smtp_app.sessions, smtp_app.settings)
    assert (result.sent, result.failed) == (1, 1)
    assert [m.rcpt_tos for m in smtp.messages] == [["b@bollnas.test"]]


def test_temporary_failures_give_up_after_the_last_attempt(
    db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    app = build_app(db_url, tmp_path, smtp=smtp.smtp_settings(), mail={"retry_max_attempts": 2})
    smtp.handler.fail_next(5, 421)
    register(app)
    assert flush_outbox(app.sessions, app.settings).retried == 1
    assert flush_outbox(app.sessions, app.settings, now=later(1)).failed == 1
    [row] = outbox(app)
    assert row.state == "failed"
    assert (row.last_error or "").startswith("gav upp efter 2 försök")


def _flush_in_child(settings_json: str, go: Any) -> None:
    go.wait(30)
    settings = Settings.from_json(settings_json)
    app = App(settings)
    flush_outbox(app.sessions, settings)


def test_crash_between_server_accept_and_commit_sends_nothing_twice(
    smtp_app: App, smtp: SmtpServer
) -> None:
    """Given a sender process killed after the server stored the mail but before it could
    record that, the row is left in 'sending'; flushing never resends it, recovery marks it
    'uncertain', and only a person's requeue sends it again."""
    register(smtp_app)
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    child = ctx.Process(target=_flush_in_child, args=(smtp_app.settings.to_json(), go), daemon=True)
    child.start()
    assert child.pid is not None
    pid = child.pid

    def kill_sender(_received: Received) -> None:
        os.kill(pid, signal.SIGKILL)

    smtp.handler.on_accept = kill_sender
    go.set()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    smtp.handler.on_accept = None
    assert len(smtp.messages) == 1
    [row] = outbox(smtp_app)
    assert row.state == "sending"

    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(48)).sent == 0
    with smtp_app.sessions() as s, s.begin():
        assert recover_interrupted(s) == 1
    [row] = outbox(smtp_app)
    assert row.state == "uncertain"
    assert "kan ha tagit emot" in (row.last_error or "")
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=later(48)).sent == 0
    assert len(smtp.messages) == 1

    with smtp_app.sessions() as s, s.begin():
        requeue_mail(s, row.id, "AKH")
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 1
    # The second copy is the same message (same Message-ID), sent because a person said so.
    assert message_ids(smtp) == [row.message_id, row.message_id]
    with smtp_app.sessions() as s:
        requeued = s.query(Event).filter_by(action="mail_requeued").one()
        assert requeued.actor == "AKH"


def test_recovery_leaves_other_states_alone(smtp_app: App) -> None:
    register(smtp_app, signed=False)
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).filter_by(kind="kvittens").update({"state": "sending"})
    with smtp_app.sessions() as s, s.begin():
        assert recover_interrupted(s) == 1
    assert sorted(r.state for r in outbox(smtp_app)) == ["queued", "uncertain"]


def test_requeue_refuses_mail_that_was_sent(smtp_app: App) -> None:
    register(smtp_app)
    flush_outbox(smtp_app.sessions, smtp_app.settings)
    [row] = outbox(smtp_app)
    with pytest.raises(RequeueError, match="är sent"), smtp_app.sessions() as s, s.begin():
        requeue_mail(s, row.id, "AKH")


def test_two_flushers_never_send_the_same_row(smtp_app: App, smtp: SmtpServer) -> None:
    for i in range(12):
        register(
            smtp_app, reply(recipient=f"p{i}@bollnas.test"), title=f"I{i}", organisation=f"O{i}"
        )
    results = []

    def flush() -> None:
        results.append(flush_outbox(smtp_app.sessions, smtp_app.settings))

    threads = [threading.Thread(target=flush) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in results) == 12
    ids = message_ids(smtp)
    assert len(ids) == 12 and len(set(ids)) == 12
    assert all(r.state == "sent" and r.attempts == 1 for r in outbox(smtp_app))


def test_auth_over_starttls_with_internal_ca(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(auth=("kontakt", "hemligt lösenord"), tls="starttls")
    server.start()
    try:
        monkeypatch.setenv("CASEFILE_TEST_SMTP_PASSWORD", "hemligt lösenord")
        app = build_app(db_url, tmp_path, smtp=server.smtp_settings(
            username="kontakt", password_env="CASEFILE_TEST_SMTP_PASSWORD"))  # fmt: skip
        register(app)
        assert flush_outbox(app.sessions, app.settings).sent == 1
        assert server.logins == ["kontakt"]
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_wrong_password_is_retried_not_failed(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(auth=("kontakt", "rätt"), tls="starttls")
    server.start()
    try:
        monkeypatch.setenv("CASEFILE_TEST_SMTP_PASSWORD", "fel")
        app = build_app(db_url, tmp_path, smtp=server.smtp_settings(
            username="kontakt", password_env="CASEFILE_TEST_SMTP_PASSWORD"))  # fmt: skip
        register(app)
        assert flush_outbox(app.sessions, app.settings).retried == 1
        [row] = outbox(app)
        assert row.state == "queued"
        assert "inloggningen" in (row.last_error or "")
        assert server.messages == []
    finally:
        server.stop()


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_certificates_are_verified_by_default(db_url: str, tmp_path: Path, tls: str) -> None:
    """Without the internal CA in smtp.ca_file, a server certificate from it is not trusted."""
    server = SmtpServer(tls=tls)
    server.start()
    try:
        app = build_app(db_url, tmp_path, smtp=server.smtp_settings(ca_file=None))
        register(app)
        assert flush_outbox(app.sessions, app.settings).retried == 1
        [row] = outbox(app)
        assert "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")
        assert server.messages == []
    finally:
        server.stop()


def test_implicit_tls_with_internal_ca(db_url: str, tmp_path: Path) -> None:
    server = SmtpServer(tls="ssl")
    server.start()
    try:
        app = build_app(db_url, tmp_path, smtp=server.smtp_settings())
        register(app)
        assert flush_outbox(app.sessions, app.settings).sent == 1
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_folder_transport_writes_each_mail_once_atomically(app: App) -> None:
    """The demo transport: one .eml per mail, named from the row, no temp files left, and a
    re-run (here: a requeue) replaces the file instead of adding a copy."""
    register(app, signed=False)
    assert flush_outbox(app.sessions, app.settings).sent == 2
    folder = Path(app.settings.smtp.folder)
    files = sorted(p.name for p in folder.iterdir())
    rows = outbox(app)
    assert len(files) == 2 and all(name.endswith(".eml") for name in files)
    assert files[0].startswith(f"{rows[0].id:08d}-casefile.kvittens.")
    assert (folder / files[0]).read_bytes() == rows[0].raw
    with app.sessions() as s, s.begin():
        s.query(OutboxMail).filter_by(id=rows[0].id).update({"state": "uncertain"})
    with app.sessions() as s, s.begin():
        requeue_mail(s, rows[0].id, "AKH")
    assert flush_outbox(app.sessions, app.settings).sent == 1
    assert sorted(p.name for p in folder.iterdir()) == files


def test_folder_transport_unwritable_folder_is_retried(db_url: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    app = build_app(db_url, tmp_path, smtp={"folder": str(blocker / "outbox")})
    register(app)
    assert flush_outbox(app.sessions, app.settings).retried == 1
    assert outbox(app)[0].state == "queued"
