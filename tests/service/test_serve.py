"""`intake serve` as a real process against Dovecot and aiosmtpd."""

from __future__ import annotations

import datetime as dt
import json
import select as io_select
import signal
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import MailboxState
from intake.service.lock import LockBusy, instance_lock
from tests.service.support import (
    ServiceProcess,
    append_many,
    documents,
    migrated_app,
    run_intake,
    write_config,
)
from tests.support.dovecot import Account, free_port
from tests.support.mail import REPORTS, message
from tests.support.smtp import SmtpServer

DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
INTERVAL = 2


def report_message(i: int) -> EmailMessage:
    # A sender of its own: the same file from the same sender would be a resend, not a report.
    return message(sender=f"Anna Berg <anna{i}@bollnas.test>", attachments=[("rapport.docx", DOCX)])


def report(i: int) -> bytes:
    return bytes(report_message(i))


def acknowledged(smtp: SmtpServer, message_id: str) -> bool:
    return any(m.message["In-Reply-To"] == message_id for m in smtp.messages)


def test_picks_up_new_mail_and_acknowledges_it_after_the_poll(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer
) -> None:
    # The outbox's own interval is an hour: the acknowledgement can only leave with the run
    # the poll starts (a bound on the latency in seconds would measure the machine's load).
    config = write_config(
        tmp_path,
        db_url,
        [account.mailbox_settings(poll_interval_seconds=INTERVAL)],
        smtp.smtp_settings(),
        service={"outbox_interval_seconds": 3600},
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
            120,
            "first poll",
        )
        mail = message(attachments=[("slutrapport.docx", DOCX)])
        account.append(bytes(mail), WHEN)
        service.wait_for(lambda: acknowledged(smtp, mail["Message-ID"]), 120, "acknowledgement")
        (doc,) = documents(app)
        (ack,) = smtp.messages
        assert doc.diarienummer in ack.message["Subject"]

        # While it runs, nobody else gets the lock, and status shows the schedule.
        with (
            pytest.raises(LockBusy, match="en annan intake-process"),
            instance_lock(app, wait=False),
        ):
            pass
        poll = run_intake(config, "poll", "--once")
        assert poll.returncode == 1
        assert poll.stderr.startswith("fel: en annan intake-process (")
        assert poll.stderr.count("\n") == 1 and "avslutar" in poll.stderr
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


def test_sigterm_during_a_batch_loses_nothing_and_registers_nothing_twice(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer
) -> None:
    count = 20
    append_many(account, [report(i) for i in range(count)], WHEN)
    config = write_config(
        tmp_path, db_url, [account.mailbox_settings(poll_interval_seconds=60)], smtp.smtp_settings()
    )
    app = migrated_app(config)
    first = ServiceProcess(config, log_name="first.log")
    try:
        first.wait_for(lambda: len(first.handled()) >= 1, 60, "the first registration")
        first.signal(signal.SIGTERM)
        assert first.wait(30) == 0
    finally:
        first.kill()
    stopped_after = len(documents(app))
    assert 1 <= stopped_after < count, "the stop did not come in the middle of the batch"
    assert len(first.handled()) == stopped_after

    second = ServiceProcess(config, "--cycles", "1", log_name="second.log")
    try:
        assert second.wait(90) == 0, second.log()
    finally:
        second.kill()
    docs = documents(app)
    app.engine.dispose()
    numbers = [d.diarienummer for d in docs]
    assert len(numbers) == count == len(set(numbers))
    handled = first.handled() + second.handled()
    assert sorted(uid for _box, uid, _state in handled) == list(range(1, count + 1))
    assert all(state == "registered" for _box, _uid, state in handled)
    # Every report acknowledged exactly once: the first run's too, sent by the second.
    subjects = [m.message["Subject"] for m in smtp.messages]
    assert len(subjects) == count
    assert sorted(n for n in numbers for s in subjects if n in s) == sorted(numbers)
    assert all(b"$CasefileProcessed" in flags for flags in account.flags().values())


def test_two_services_on_one_database_never_handle_the_same_message(
    db_url: str, db_kind: str, tmp_path: Path, account: Account, smtp: SmtpServer
) -> None:
    count = 200
    # Cheap messages (no attachment): this is about who handles them, not about extraction.
    append_many(account, [bytes(message(subject=f"Fråga {i}")) for i in range(count)], WHEN)
    box = account.mailbox_settings(poll_interval_seconds=1, batch_size=20)
    configs = []
    for name in ("a", "b"):
        # On PostgreSQL each gets a lock file of its own, as on two hosts: only the database
        # lock may keep them apart. SQLite has no such lock, so they share the file.
        lock = tmp_path / (f"{name}.lock" if db_kind == "postgresql" else "casefile.lock")
        configs.append(
            write_config(
                tmp_path,
                db_url,
                [box],
                smtp.smtp_settings(),
                name=f"{name}.toml",
                service={"lock_path": str(lock), "on_lock_busy": "wait"},
            )
        )
    app = migrated_app(configs[0])
    services = [ServiceProcess(c, log_name=f"{c.stem}.log") for c in configs]
    try:
        both = services[0], services[1]
        services[0].wait_for(
            lambda: any(len(s.handled()) >= 30 for s in both), 60, "30 messages handled"
        )
        active, waiting = both if both[0].handled() else both[1::-1]
        assert waiting.handled() == []
        waiting.wait_for_log("arbetar redan mot samma databas", 120)
        assert "väntar tills den slutar" in waiting.log()
        active.signal(signal.SIGTERM)
        assert active.wait(30) == 0
        taken = len(active.handled())
        assert taken < count, "the first service handled everything before it was stopped"
        waiting.wait_for_log("den här processen tar över", 120)
        waiting.wait_for(lambda: len(active.handled()) + len(waiting.handled()) >= count, 60, "all")
        time.sleep(1.5)  # one more poll interval: nothing may be handled again
        waiting.signal(signal.SIGTERM)
        assert waiting.wait(30) == 0
    finally:
        for service in services:
            service.kill()
    first = [uid for _box, uid, _state in active.handled()]
    second = [uid for _box, uid, _state in waiting.handled()]
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(1, count + 1))
    assert {state for _b, _u, state in active.handled() + waiting.handled()} == {"no_report"}
    from tests.service.support import messages

    assert len(messages(app)) == count
    app.engine.dispose()
    assert all(b"$CasefileProcessed" in flags for flags in account.flags().values())


@pytest.fixture
def silent_socket() -> Iterator[socket.socket]:
    """A listening socket that never accepts and never says a word: a hung IMAP server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock


@pytest.fixture
def silent_imap(silent_socket: socket.socket) -> int:
    return int(silent_socket.getsockname()[1])


def wait_for_client(sock: socket.socket, timeout: float) -> None:
    """Until a client has connected (a listening socket is readable with one in its queue)."""
    readable, _, _ = io_select.select([sock], [], [], timeout)
    assert readable, f"nobody connected within {timeout} s"


def failing(app: App, mailbox: str) -> bool:
    with app.sessions() as s:
        state = s.scalars(select(MailboxState).where(MailboxState.mailbox == mailbox)).first()
        return state is not None and state.last_error is not None


def test_failing_mailbox_does_not_stop_the_others(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer, silent_imap: int
) -> None:
    good = account.mailbox_settings(poll_interval_seconds=INTERVAL)
    refused = {**good, "name": "trasig", "port": free_port()}
    # The hang must outlast the whole test (up to 90 s of waits before the SIGTERM on a loaded
    # machine): with a shorter timeout the first hung poll ends, and a SIGTERM in the gap before
    # the next one finds no job running, so the stop is clean (exit 0) instead of timing out.
    hung = {**good, "name": "tyst", "port": silent_imap, "timeout_seconds": 600}
    config = write_config(
        tmp_path,
        db_url,
        [refused, hung, good],
        smtp.smtp_settings(),
        service={"stop_timeout_seconds": 3},
    )
    app = migrated_app(config)
    first, second = report_message(1), report_message(2)
    account.append(bytes(first), WHEN)
    service = ServiceProcess(config)
    try:
        service.wait_for(lambda: acknowledged(smtp, first["Message-ID"]), 30, "first ack")
        # Later polls of the good mailbox go on while one mailbox hangs and one refuses.
        account.append(bytes(second), WHEN)
        service.wait_for(lambda: acknowledged(smtp, second["Message-ID"]), 30, "second ack")
        # Wait for the recorded error, not the log line: the poll logs before it records, and
        # the IDLE watcher logs the same refusal on its own connection.
        service.wait_for(lambda: failing(app, "trasig"), 30, "trasig's error recorded")
        assert "brevlåda trasig: kan inte nå" in service.log()

        status = run_intake(config, "status", "--json")
        assert status.returncode == 1, status.stdout + status.stderr
        report_ = json.loads(status.stdout)
        assert report_["stale_mailboxes"] == ["trasig", "tyst"]
        boxes = {b["name"]: b for b in report_["mailboxes"]}
        assert boxes["trasig"]["failing"] and "kan inte nå" in boxes["trasig"]["last_error"]
        assert not boxes["kontakt"]["stale"] and not boxes["kontakt"]["failing"]
        text = run_intake(config, "status")
        assert text.returncode == 1
        assert "FEL: ingen lyckad hämtning" in text.stdout and "trasig, tyst" in text.stdout

        # The hung poll cannot finish: the stop gives up after service.stop_timeout_seconds.
        service.signal(signal.SIGTERM)
        started = time.monotonic()
        assert service.wait(30) == 1
        # After stop_timeout_seconds (3), long before the hung poll's own 30 s timeout.
        assert 2.5 < time.monotonic() - started < 25
    finally:
        service.kill()
    assert "jobb pågick fortfarande efter 3 s" in service.log()
    assert json.loads((tmp_path / "casefile.state.json").read_text())["running"] is False
    assert len(documents(app)) == 2
    app.engine.dispose()


def test_second_signal_exits_at_once(
    db_url: str,
    tmp_path: Path,
    account: Account,
    smtp: SmtpServer,
    silent_imap: int,
    silent_socket: socket.socket,
) -> None:
    hung = account.mailbox_settings(name="tyst", port=silent_imap, timeout_seconds=30)
    config = write_config(tmp_path, db_url, [hung], smtp.smtp_settings())
    app = migrated_app(config)
    app.engine.dispose()
    service = ServiceProcess(config)
    try:
        service.wait_for_log("intake serve startar")
        # The poll is under way, waiting for the silent server (a fixed sleep lost this race
        # on a loaded machine: a signal before the poll starts finds nothing to wait for).
        wait_for_client(silent_socket, 60)
        service.signal(signal.SIGTERM)
        service.wait_for_log("stoppar: SIGTERM mottagen")
        time.sleep(0.3)
        assert service.proc.poll() is None, "the first signal must wait for the running poll"
        service.signal(signal.SIGTERM)
        started = time.monotonic()
        # At once: long before the 30 s the running poll would take (a loaded machine is slow).
        assert service.wait(25) == 128 + signal.SIGTERM
        assert time.monotonic() - started < 25
    finally:
        service.kill()
    assert "SIGTERM igen: avslutar direkt" in service.log()


def test_serve_for_a_bounded_time(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer
) -> None:
    config = write_config(
        tmp_path, db_url, [account.mailbox_settings(poll_interval_seconds=1)], smtp.smtp_settings()
    )
    migrated_app(config).engine.dispose()
    started = time.monotonic()
    done = run_intake(config, "serve", "--for", "2.5")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert 2.5 <= elapsed < 120  # stopped by itself (start-up under load can take long)
    assert "2.5 s har gått (--for)" in done.stderr
    state = json.loads((tmp_path / "casefile.state.json").read_text())
    assert state["running"] is False
    assert state["jobs"]["poll:kontakt"]["last_ok"] is True


def test_unreachable_database_status_is_one_line_and_exit_1_serve_waits(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/casefile", [], {}
    )
    done = run_intake(config, "status")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("fel: ") and "databas" in done.stderr
    assert done.stderr.count("\n") == 1
    # The service does not give up: it waits, says so once, and stops cleanly when told.
    waited = run_intake(config, "serve", "--for", "4")
    assert waited.returncode == 0, waited.stderr
    assert waited.stderr.count("kan inte nå databasen") == 1
    assert "Traceback" not in waited.stderr
