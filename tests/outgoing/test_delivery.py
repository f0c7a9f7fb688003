"""Delivery through a real SMTP server (aiosmtpd): retries, refusals, crashes, TLS and AUTH."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from casefile.app import App
from casefile.config import settings_from_json
from casefile.db.models import Event, OutboxMail
from intake.outgoing import flush_outbox, recover_interrupted, requeue_mail
from intake.outgoing.sender import RequeueError, backoff
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
    settings = settings_from_json(settings_json)
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


# What staff and the operator read about each outcome: the audit log, the row, the log lines.


def _events(app: App, action: str) -> list[Event]:
    with app.sessions() as s:
        return list(s.query(Event).filter_by(action=action).order_by(Event.id))


def _outcome_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "intake.outgoing.sender"
    ]


def test_a_sent_mail_is_in_the_audit_log_by_the_bot_for_its_case_and_document(
    db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    """Given a configured bot actor, when a kvittens is delivered, then one mail_sent event by
    that actor names the case, the document, the outbox row and the Message-ID."""
    app = build_app(db_url, tmp_path, smtp=smtp.smtp_settings(),
                    registry={"bot_actor": "intake-bot"})  # fmt: skip
    document_id, [row_id] = register(app)
    assert flush_outbox(app.sessions, app.settings).sent == 1
    [row] = outbox(app)
    [event] = _events(app, "mail_sent")
    assert (event.actor, event.case_id, event.document_id) == (
        "intake-bot",
        row.case_id,
        document_id,
    )
    assert row.case_id is not None
    assert event.detail == {"outbox_id": row_id, "message_id": row.message_id, "error": None}
    assert (row.state, row.last_error) == ("sent", None)
    app.engine.dispose()


def test_a_refusal_is_audited_with_the_servers_answer_and_logged_as_an_error(
    smtp_app: App, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a server that refuses the recipient for good, the mail_failed event carries the
    answer staff need, and the operator's log says which row was refused and why."""
    smtp.handler.fail_next(1, 550, "RCPT")
    document_id, [row_id] = register(smtp_app)
    caplog.set_level(logging.INFO, logger="intake.outgoing.sender")
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).failed == 1
    [row] = outbox(smtp_app)
    [event] = _events(smtp_app, "mail_failed")
    assert (event.actor, event.case_id, event.document_id) == (
        "casefile",
        row.case_id,
        document_id,
    )
    assert event.detail == {
        "outbox_id": row_id,
        "message_id": row.message_id,
        "error": "RCPT TO: 550 Mailbox unavailable",
    }
    assert _outcome_lines(caplog) == [
        ("ERROR", f"outbox {row_id}: refused: RCPT TO: 550 Mailbox unavailable")
    ]


def test_giving_up_is_audited_once_with_the_count_and_each_try_is_logged(
    db_url: str, tmp_path: Path, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Given 421 on every try and two attempts allowed, the first try is a quiet retry (no
    audit event), the second gives up: the row and its one mail_failed event say after how
    many tries and the last answer; the log has a warning for each try."""
    app = build_app(db_url, tmp_path, smtp=smtp.smtp_settings(),
                    mail={"retry_max_attempts": 2, "retry_base_seconds": 60})  # fmt: skip
    smtp.handler.fail_next(5, 421)
    _, [row_id] = register(app)
    caplog.set_level(logging.INFO, logger="intake.outgoing.sender")
    assert flush_outbox(app.sessions, app.settings).retried == 1
    [row] = outbox(app)
    assert (row.state, row.attempts, row.last_error) == ("queued", 1, "DATA: 421 Try again later")
    assert _events(app, "mail_failed") == []
    result = flush_outbox(app.sessions, app.settings, now=later(1))
    assert (result.sent, result.retried, result.failed) == (0, 0, 1)
    [row] = outbox(app)
    given_up = "gav upp efter 2 försök: DATA: 421 Try again later"
    assert (row.state, row.attempts, row.last_error) == ("failed", 2, given_up)
    [event] = _events(app, "mail_failed")
    assert event.detail == {"outbox_id": row_id, "message_id": row.message_id, "error": given_up}
    warning = ("WARNING", f"outbox {row_id}: temporary failure: DATA: 421 Try again later")
    assert _outcome_lines(caplog) == [warning, warning]
    assert smtp.messages == []
    app.engine.dispose()


def test_a_4xx_for_one_mail_does_not_hold_back_the_next(smtp_app: App, smtp: SmtpServer) -> None:
    """Given a 451 for the first of two mails (the server answers, so it is reachable), the
    second is still sent in the same flush; the first waits with the base delay."""
    smtp.handler.fail_next(1, 451)
    register(smtp_app, title="A", organisation="A")
    register(smtp_app, reply(recipient="b@bollnas.test"), title="B", organisation="B")
    now = dt.datetime.now(dt.UTC)
    result = flush_outbox(smtp_app.sessions, smtp_app.settings, now=now)
    assert (result.sent, result.retried) == (1, 1)
    first, second = outbox(smtp_app)
    assert (first.state, first.attempts) == ("queued", 1)
    assert first.next_attempt_at.replace(tzinfo=dt.UTC) == now + dt.timedelta(seconds=60)
    assert second.state == "sent"
    assert [m.rcpt_tos for m in smtp.messages] == [["b@bollnas.test"]]


def test_backoff_doubles_from_the_base_and_stops_at_six_hours(smtp_app: App) -> None:
    settings = smtp_app.settings  # retry_base_seconds = 60
    delays = [backoff(settings, n).total_seconds() for n in (0, 1, 2, 3, 4, 9, 10, 30)]
    assert delays == [60, 60, 120, 240, 480, 15360, 6 * 3600, 6 * 3600]


def test_due_mail_goes_oldest_first_up_to_the_limit(smtp_app: App, smtp: SmtpServer) -> None:
    """Given three queued mails due at different times (one due exactly now) and one not yet
    due, a flush with limit 2 sends the two that have waited longest, in that order; the next
    flush with limit 1 sends the third: mail already sent takes no place in the limit."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    due = {"a@bollnas.test": now - dt.timedelta(minutes=1),
           "b@bollnas.test": now - dt.timedelta(minutes=5),
           "c@bollnas.test": now,
           "d@bollnas.test": now + dt.timedelta(seconds=1)}  # fmt: skip
    for i, recipient in enumerate(due):
        register(smtp_app, reply(recipient=recipient), title=f"T{i}", organisation=f"O{i}")
    with smtp_app.sessions() as s, s.begin():
        for row in s.query(OutboxMail):
            row.next_attempt_at = due[row.recipient]
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=now, limit=2).sent == 2
    assert [m.rcpt_tos for m in smtp.messages] == [["b@bollnas.test"], ["a@bollnas.test"]]
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=now, limit=1).sent == 1
    assert smtp.messages[-1].rcpt_tos == ["c@bollnas.test"]
    assert {r.recipient: r.state for r in outbox(smtp_app)}["d@bollnas.test"] == "queued"


def test_equal_due_times_go_in_queue_order(smtp_app: App, smtp: SmtpServer) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for i in range(3):
        register(smtp_app, reply(recipient=f"p{i}@bollnas.test"), title=f"T{i}", organisation="O")
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).update({"next_attempt_at": now})
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=now, limit=1).sent == 1
    assert smtp.messages[0].rcpt_tos == ["p0@bollnas.test"]


def test_a_mail_recovered_while_in_flight_is_still_recorded_as_sent(
    smtp_app: App, smtp: SmtpServer
) -> None:
    """Given a recovery run (older_than: now) that marks the row 'uncertain' while the server
    is taking it, when the server accepts, then the row ends 'sent': the sender's answer wins
    over the guess."""
    register(smtp_app)
    recovered: list[int] = []

    def recover(_received: Received) -> None:
        with smtp_app.sessions() as s, s.begin():
            recovered.append(recover_interrupted(s, older_than=later(1)))

    smtp.handler.on_accept = recover
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 1
    assert recovered == [1]
    [row] = outbox(smtp_app)
    assert (row.state, row.last_error) == ("sent", None)
    assert [e.action for e in _events(smtp_app, "mail_sent")] == ["mail_sent"]


def test_recovery_audits_each_stuck_row_and_tells_staff_what_to_do(smtp_app: App) -> None:
    """Given two rows in 'sending', one claimed before the cut-off and one at it, a recovery
    with older_than marks only the older one: its row says what to do, and one
    mail_uncertain event by casefile names it."""
    document_id, [kvittens_id, komplettering_id] = register(smtp_app, signed=False)
    cutoff = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).filter_by(id=kvittens_id).update(
            {"state": "sending", "next_attempt_at": cutoff - dt.timedelta(seconds=1)}
        )
        s.query(OutboxMail).filter_by(id=komplettering_id).update(
            {"state": "sending", "next_attempt_at": cutoff}
        )
    with smtp_app.sessions() as s, s.begin():
        assert recover_interrupted(s, older_than=cutoff) == 1
    old, current = outbox(smtp_app)
    assert (old.state, current.state) == ("uncertain", "sending")
    assert old.last_error == (
        "avbröts under sändning: servern kan ha tagit emot brevet; "
        "kontrollera och skicka igen med casefile requeue"
    )
    [event] = _events(smtp_app, "mail_uncertain")
    assert (event.actor, event.case_id, event.document_id) == (
        "casefile",
        old.case_id,
        document_id,
    )
    assert event.detail == {"outbox_id": kvittens_id, "message_id": old.message_id}
    with smtp_app.sessions() as s, s.begin():
        assert recover_interrupted(s) == 1  # without a cut-off: every row in 'sending'
    assert [r.state for r in outbox(smtp_app)] == ["uncertain", "uncertain"]


def test_requeue_resets_the_row_and_audits_who_and_from_what(smtp_app: App) -> None:
    """Given a failed mail, a person's requeue puts it back in the queue as new (no attempts,
    no error, due at the given time) and the mail_requeued event says who and from which
    state."""
    document_id, [row_id] = register(smtp_app)
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).filter_by(id=row_id).update(
            {"state": "failed", "attempts": 5, "last_error": "gav upp efter 5 försök"}
        )
    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    with smtp_app.sessions() as s, s.begin():
        row = requeue_mail(s, row_id, "AKH", now=when)
        assert row.id == row_id
    [row] = outbox(smtp_app)
    assert (row.state, row.attempts, row.last_error) == ("queued", 0, None)
    assert row.next_attempt_at.replace(tzinfo=dt.UTC) == when
    [event] = _events(smtp_app, "mail_requeued")
    assert (event.actor, event.case_id, event.document_id) == ("AKH", row.case_id, document_id)
    assert event.detail == {"outbox_id": row_id, "previous_state": "failed"}


def test_requeue_says_in_one_line_why_it_cannot(smtp_app: App) -> None:
    """The three refusals, word for word: no such row, a state that cannot be requeued, and
    a suppressed mail without an address."""
    _, [sent_id] = register(smtp_app, title="A", organisation="A")
    _, [nowhere_id] = register(smtp_app, reply(recipient=None), title="B", organisation="B")
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).filter_by(id=sent_id).update({"state": "sent"})
    [_, nowhere] = outbox(smtp_app)
    assert (nowhere.state, nowhere.recipient) == ("suppressed", "")
    cases = {
        9999: "det finns inget utgående brev nr 9999",
        sent_id: f"brev nr {sent_id} är sent; bara osäkra, misslyckade och stoppade brev "
        "kan skickas igen",
        nowhere_id: f"brev nr {nowhere_id} har ingen mottagaradress",
    }
    for row_id, message in cases.items():
        with smtp_app.sessions() as s, s.begin(), pytest.raises(RequeueError) as caught:
            requeue_mail(s, row_id, "AKH")
        assert str(caught.value) == message
    assert [r.state for r in outbox(smtp_app)] == ["sent", "suppressed"]
    assert _events(smtp_app, "mail_requeued") == []


def test_an_unexpected_error_makes_the_mail_uncertain_and_stops_the_flush(
    db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    """Given a bug that makes smtplib fail before the server answers (a bounce address not in
    ASCII: the configuration refuses one since, so it is forced past the check here), the error
    is not an answer from the server: the flush stops with it, the row it was sending is
    'uncertain' saying what went wrong, audited once, and the next mail is left untouched."""
    app = build_app(db_url, tmp_path, smtp=smtp.smtp_settings())
    object.__setattr__(app.settings.mail, "envelope_from", "studs@bollnäs.test")
    _, [first_id] = register(app, title="A", organisation="A")
    register(app, reply(recipient="b@bollnas.test"), title="B", organisation="B")
    with pytest.raises(UnicodeEncodeError):
        flush_outbox(app.sessions, app.settings)
    first, second = outbox(app)
    assert first.state == "uncertain"
    assert (first.last_error or "").startswith("oväntat fel: UnicodeEncodeError: 'ascii' codec")
    [event] = _events(app, "mail_uncertain")
    assert event.detail == {
        "outbox_id": first_id,
        "message_id": first.message_id,
        "error": first.last_error,
    }
    assert (second.state, second.attempts) == ("queued", 0)
    assert smtp.messages == []
    app.engine.dispose()


def test_every_outcome_is_counted_per_mail(db_url: str, tmp_path: Path, smtp: SmtpServer) -> None:
    """Given five mails, two attempts allowed, and a server that answers 451, 451, 550, 550
    and then accepts, then 421 twice: each flush counts each mail once, so the summary the
    operator sees from `intake send` adds up to what happened."""
    app = build_app(db_url, tmp_path, smtp=smtp.smtp_settings(),
                    mail={"retry_max_attempts": 2})  # fmt: skip
    for i in range(5):
        register(app, reply(recipient=f"p{i}@bollnas.test"), title=f"T{i}", organisation="O")
    smtp.handler.fail_next(2, 451)
    smtp.handler.fail_next(2, 550)
    result = flush_outbox(app.sessions, app.settings)
    assert (result.sent, result.retried, result.failed, result.uncertain) == (1, 2, 2, 0)
    smtp.handler.fail_next(2, 421)
    result = flush_outbox(app.sessions, app.settings, now=later(1))
    assert (result.sent, result.retried, result.failed, result.uncertain) == (0, 0, 2, 0)
    assert [r.state for r in outbox(app)] == ["failed"] * 4 + ["sent"]
    app.engine.dispose()


def test_a_mail_another_flusher_took_meanwhile_is_skipped_and_the_rest_still_go(
    smtp_app: App, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Given three due mails, when a second flusher (here: one writing .eml files) takes the
    second while the first flusher is sending the first, then the first flusher skips the
    taken one and still sends the third; every mail goes out once."""
    for i in range(3):
        register(smtp_app, reply(recipient=f"p{i}@bollnas.test"), title=f"T{i}", organisation="O")
    other = build_app(smtp_app.settings.database.url, tmp_path / "other")
    taken: list[int] = []

    def second_flusher(_received: Received) -> None:
        smtp.handler.on_accept = None
        taken.append(flush_outbox(other.sessions, other.settings, limit=1).sent)

    smtp.handler.on_accept = second_flusher
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 2
    assert taken == [1]
    assert [m.rcpt_tos for m in smtp.messages] == [["p0@bollnas.test"], ["p2@bollnas.test"]]
    assert [p.name.split("-")[0] for p in Path(other.settings.smtp.folder).iterdir()] == [
        f"{outbox(smtp_app)[1].id:08d}"
    ]
    assert [(r.state, r.attempts) for r in outbox(smtp_app)] == [("sent", 1)] * 3
    other.engine.dispose()


def test_sending_one_mail_leaves_other_uncertain_mail_alone(
    smtp_app: App, smtp: SmtpServer
) -> None:
    """Given an earlier mail left 'uncertain' for staff, when another mail is sent, then the
    uncertain one is still uncertain with its explanation: only the row sent is recorded."""
    _, [left_id] = register(smtp_app, title="A", organisation="A")
    register(smtp_app, reply(recipient="b@bollnas.test"), title="B", organisation="B")
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).filter_by(id=left_id).update(
            {"state": "uncertain", "last_error": "avbröts under sändning"}
        )
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 1
    left, sent = outbox(smtp_app)
    assert (left.state, left.last_error, left.sent_at) == (
        "uncertain",
        "avbröts under sändning",
        None,
    )
    assert sent.state == "sent"
    assert [e.detail["outbox_id"] for e in _events(smtp_app, "mail_sent")] == [sent.id]


def test_a_requeue_made_while_the_mail_was_in_flight_stands(
    smtp_app: App, smtp: SmtpServer
) -> None:
    """Given a mail that recovery marks 'uncertain' while the server is taking it, and that a
    person then requeues, when the server accepts, then the person's decision stands: the
    row stays queued (to be sent again), and no mail_sent is recorded over it."""
    _, [row_id] = register(smtp_app)

    def recover_and_requeue(_received: Received) -> None:
        smtp.handler.on_accept = None
        with smtp_app.sessions() as s, s.begin():
            assert recover_interrupted(s) == 1
        with smtp_app.sessions() as s, s.begin():
            requeue_mail(s, row_id, "AKH")

    smtp.handler.on_accept = recover_and_requeue
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 1
    [row] = outbox(smtp_app)
    assert (row.state, row.attempts, row.sent_at) == ("queued", 0, None)
    assert len(smtp.messages) == 1


def test_a_claimed_mail_is_sending_since_the_flush_and_no_cutoff_before_it_touches_it(
    smtp_app: App, smtp: SmtpServer
) -> None:
    """Given a mail that was due an hour ago, when a flush claims it, then while it is being
    sent the row is 'sending' since the flush's time, so a recovery for rows stuck since
    before the last minute leaves it alone."""
    register(smtp_app)
    now = dt.datetime.now(dt.UTC)
    with smtp_app.sessions() as s, s.begin():
        s.query(OutboxMail).update({"next_attempt_at": now - dt.timedelta(hours=1)})
    seen: list[tuple[str, dt.datetime, int]] = []

    def look(_received: Received) -> None:
        [row] = outbox(smtp_app)
        with smtp_app.sessions() as s, s.begin():
            stuck = recover_interrupted(s, older_than=now - dt.timedelta(minutes=1))
        seen.append((row.state, row.next_attempt_at.replace(tzinfo=dt.UTC), stuck))

    smtp.handler.on_accept = look
    assert flush_outbox(smtp_app.sessions, smtp_app.settings, now=now).sent == 1
    assert seen == [("sending", now, 0)]
    assert outbox(smtp_app)[0].state == "sent"


def test_a_mail_another_flusher_just_put_back_to_wait_is_not_sent_early(
    smtp_app: App, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Given three due mails, when a second flusher (writing to a folder it cannot write)
    takes the second while the first flusher is sending the first and puts it back to wait,
    then the first flusher does not send it before its new time; the third still goes."""
    for i in range(3):
        register(smtp_app, reply(recipient=f"p{i}@bollnas.test"), title=f"T{i}", organisation="O")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    other = build_app(smtp_app.settings.database.url, tmp_path / "other",
                      smtp={"folder": str(blocker / "outbox")})  # fmt: skip
    retried: list[int] = []

    def second_flusher(_received: Received) -> None:
        smtp.handler.on_accept = None
        retried.append(flush_outbox(other.sessions, other.settings, limit=1).retried)

    smtp.handler.on_accept = second_flusher
    assert flush_outbox(smtp_app.sessions, smtp_app.settings).sent == 2
    assert retried == [1]
    assert [m.rcpt_tos for m in smtp.messages] == [["p0@bollnas.test"], ["p2@bollnas.test"]]
    waiting = outbox(smtp_app)[1]
    assert (waiting.state, waiting.attempts) == ("queued", 1)
    assert "kunde inte skriva till" in (waiting.last_error or "")
    other.engine.dispose()
