"""Nothing lost, nothing stuck: hostile and odd mail against a real Dovecot, on both databases.

Each test is a regression test for an item of issue 9: a conflict that is not ours, an
oversized header, a message that kills the process, a message with too many or too slow
attachments, strings PostgreSQL refuses, deep MIME, TNEF, many tiny parts, a full disk, and a
retry that must take the same way as a poll.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from casefile.app import App
from casefile.blobstore import Archive
from casefile.db import schema
from casefile.db.models import Attachment, Document, MailboxState, OutboxMail, SourceMessage
from casefile.queries import inbox_json
from intake.mail.attachments import examine_message, make_worker
from intake.mail.mime import AttachedFile, parse_message
from intake.mail.outcome import Filing, final_state
from intake.mail.poll import poll_all
from intake.mail.retry import retry_message
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.toml import write_config

INTAKE = str(Path(sys.executable).parent / "intake")
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()
PDF = (REPORTS / "r03_right_sdt_overspent.pdf").read_bytes()
OTHER = (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()


def messages(app: App) -> list[SourceMessage]:
    with app.sessions() as s:
        return list(s.scalars(select(SourceMessage).order_by(SourceMessage.uid)))


def numbers(app: App) -> list[str]:
    with app.sessions() as s:
        return list(s.scalars(select(Document.diarienummer).order_by(Document.id)))


def raw_message(headers: list[tuple[str, str]], body: bytes = b"Hej.\r\n") -> bytes:
    head = b"".join(f"{k}: {v}\r\n".encode("utf-8", "surrogateescape") for k, v in headers)
    return head + b"\r\n" + body


def header_bomb(words: int) -> bytes:
    """A Subject of RFC 2047 words: the standard parser's memory grows faster than its size."""
    subject = "\r\n ".join(["=?utf-8?q?r=C3=A4tt?="] * words)
    return raw_message(
        [
            ("From", "Anna Berg <anna.berg@bollnas.test>"),
            ("To", "kontakt@finsam.test"),
            ("Subject", subject),
            ("Message-ID", f"<bomb{words}@bollnas.test>"),
        ]
    )


def nested(levels: int, name: str, data: bytes) -> bytes:
    """A report `levels` multipart levels deep."""
    import base64

    out = [
        b"From: Anna Berg <anna.berg@bollnas.test>\r\nTo: kontakt@finsam.test\r\n"
        b"Subject: Djup\r\nMessage-ID: <deep-%d@bollnas.test>\r\nMIME-Version: 1.0\r\n" % levels
    ]
    for i in range(levels):
        out.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    out.append(
        b"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        b"\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="' + name.encode() + b'"\r\n\r\n'
    )
    out.append(base64.encodebytes(data).replace(b"\n", b"\r\n"))
    for i in reversed(range(levels)):
        out.append(b"--b%d--\r\n" % i)
    return b"".join(out)


# -- the final state is a pure function --------------------------------------------------


def test_final_state_rules() -> None:
    """Given what the sequence found, then the state follows one table."""
    assert final_state(duplicate_of=3, automatic="precedence", filing=None)[0] == "duplicate"
    assert final_state(duplicate_of=None, automatic="own_loop", filing=None) == (
        "automatic",
        "own_loop",
    )
    state, reason = final_state(
        duplicate_of=None, automatic="automatic_sender", filing=Filing(registered=("SFG 26-01.01",))
    )
    assert state == "registered" and "ingen kvittens" in (reason or "")
    assert final_state(duplicate_of=None, automatic=None, filing=Filing(registered=("x",))) == (
        "registered",
        None,
    )
    assert final_state(
        duplicate_of=None, automatic=None, filing=Filing(resent=("SFG 26-01.01",))
    ) == ("duplicate", "redan registrerad som SFG 26-01.01")
    state, reason = final_state(
        duplicate_of=None, automatic="precedence", filing=Filing(quarantined=("för stor",))
    )
    assert state == "quarantined" and "för stor" in (reason or "")
    state, reason = final_state(
        duplicate_of=None, automatic=None, filing=Filing(notes=("winmail.dat är TNEF",))
    )
    assert state == "no_report" and "TNEF" in (reason or "")


def test_final_state_reasons_list_every_item_in_swedish() -> None:
    """The reason staff read names every number, file error and note, in order."""

    def reason(**found: tuple[str, ...]) -> tuple[str, str | None]:
        return final_state(duplicate_of=None, automatic=None, filing=Filing(**found))

    assert reason(resent=("SFG 26-01.01", "SFG 26-01.02")) == (
        "duplicate",
        "redan registrerad som SFG 26-01.01, SFG 26-01.02",
    )
    assert reason(quarantined=("för stor", "trasig zip")) == (
        "quarantined",
        "bilagan kunde inte läsas: för stor; trasig zip",
    )
    assert reason(notes=("winmail.dat är TNEF", "för djupt nästlad")) == (
        "no_report",
        "ingen rapport bifogad: winmail.dat är TNEF; för djupt nästlad",
    )
    assert reason() == ("no_report", "ingen rapport bifogad")


# -- 1. a conflict that is not "another poller recorded it" ------------------------------


def test_number_collision_is_failed_kept_and_listed(intake_app: App, account: Account) -> None:
    """Given a case number already taken (as a format without the year makes happen in a new
    year), when a report would get it, then the message is failed, left unmarked on the server
    and listed for staff; it is not called seen."""
    with intake_app.engine.begin() as conn:
        conn.execute(
            insert(schema.cases).values(number="SFG 26-01", year=2025, serial=1, title="Förra året")
        )
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll_all(intake_app)
    (msg,) = messages(intake_app)
    # The database's own words, on one line: staff see what collided.
    assert msg.state == "failed" and msg.reason in (
        "kunde inte registreras: UNIQUE constraint failed: cases.number",
        "kunde inte registreras: duplicate key value violates "
        'unique constraint "cases_number_key" DETAIL: Key (number)=(SFG 26-01) already exists.',
    )
    assert not msg.marked_on_server
    assert b"$CasefileProcessed" not in next(iter(account.flags().values()))
    with intake_app.engine.connect() as conn:
        assert [m["state"] for m in inbox_json(conn)] == ["failed"]


# -- 2. header bound and the poison marker -----------------------------------------------


def test_oversized_header_is_shunted_before_parsing(intake_app: App, account: Account) -> None:
    """Given a message whose header block is over max_header_bytes, when polled, then it is
    failed with the reason and the report behind it is registered."""
    account.append(header_bomb(4000), WHEN)  # ~90 KB of encoded words
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll_all(intake_app)
    bomb, good = messages(intake_app)
    assert bomb.state == "failed" and "huvud är för stort" in (bomb.reason or "")
    assert good.state == "registered" and numbers(intake_app) == ["SFG 26-01.01"]


def _config(tmp_path: Path, db_url: str, account: Account, **limits: object) -> Path:
    return write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "limits": limits,
            "mailboxes": [account.mailbox_settings()],
            "smtp": {"transport": "folder", "folder": str(tmp_path / "outbox")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
        },
    )


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _poll_watched(config: Path, limit_mb: int) -> tuple[int, str]:
    """A real `intake poll --once`, SIGKILLed like the OOM killer would when over limit_mb."""
    proc = subprocess.Popen(
        [INTAKE, "--config", str(config), "poll", "--once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def watch() -> None:
        while proc.poll() is None:
            if _rss_mb(proc.pid) > limit_mb:
                proc.kill()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate(timeout=180)
    watcher.join()
    return proc.returncode, err


def test_message_that_kills_the_poll_twice_is_put_aside(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a message whose header takes the poll process over its memory limit (the limit on
    headers raised so the parser sees it), when the process is killed for it twice, then the
    next start records it as failed and registers the report behind it."""
    account.append(header_bomb(7000), WHEN)  # ~160 KB: over 500 MB to parse
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    config = _config(tmp_path, db_url, account, max_header_bytes=1024 * 1024)
    for _ in range(2):
        code, err = _poll_watched(config, limit_mb=300)
        assert code == -9, err
        assert numbers(app) == []
    code, err = _poll_watched(config, limit_mb=300)
    assert code == 0, err
    poison, good = messages(app)
    assert poison.state == "failed" and "stoppade intaget 2 gånger" in (poison.reason or "")
    assert good.state == "registered" and numbers(app) == ["SFG 26-01.01"]
    with app.sessions() as s:
        assert s.scalars(select(schema.message_attempts.c.uid)).all() == []


# -- 3. a budget per message -------------------------------------------------------------


def test_attachments_over_the_cap_are_quarantined_and_a_copy_read_once(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a message with the same report twice and three more, and a cap of two, then the
    copy is one file, two are read, the rest quarantined with the reason."""
    files = [("a.docx", DOCX), ("a2.docx", DOCX), ("b.docx", UNSIGNED), ("c.docx", OTHER)]
    account.append(bytes(message(attachments=files)), WHEN)
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_attachments_per_message": 2}
    )
    poll_all(app)
    with app.sessions() as s:
        rows = s.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(r.filename, r.state) for r in rows] == [
            ("a.docx", "report"),
            ("b.docx", "report"),
            ("c.docx", "quarantined"),
        ]
        assert "fler än 2 bilagor" in (rows[2].error or "")


def test_time_budget_per_message_quarantines_what_is_left(tmp_path: Path) -> None:
    """Given a budget used up by the first file (a clock that jumps), then the next file is not
    extracted but quarantined with the reason."""
    from casefile.config import LimitsSettings

    limits = LimitsSettings(max_extraction_seconds_per_message=10)
    ticks = iter([0.0, 0.0, 50.0])
    with make_worker(limits) as worker:
        found = examine_message(
            [
                AttachedFile("a.docx", "application/octet-stream", DOCX),
                AttachedFile("b.pdf", "application/pdf", PDF),
            ],
            limits,
            worker,
            clock=lambda: next(ticks),
        )
    assert [c.state for c in found] == ["report", "quarantined"]
    assert "tidsgränsen för meddelandet (10 s)" in (found[1].error or "")


def test_find_email_is_linear_on_a_huge_cell() -> None:
    """Given a 100,000-character cell without an address (quadratic before: a minute), then it
    is searched in well under a second, and addresses are still found."""
    from intake.extract.normalize import find_email

    started = time.perf_counter()
    assert find_email("a" * 100_000) is None
    assert time.perf_counter() - started < 2.0
    assert find_email("Kontakt: x" * 10 + " Anna.Berg@Bollnas.se.") == "Anna.Berg@Bollnas.se"


def test_references_are_capped_to_the_newest() -> None:
    ids = " ".join(f"<{i}@x.test>" for i in range(80_000))
    parsed = parse_message(raw_message([("From", "a@b.test"), ("References", ids)]), 10**8)
    assert len(parsed.referenced_ids) == 50
    assert parsed.referenced_ids[0] == "<79999@x.test>"


# -- 4. strings PostgreSQL refuses -------------------------------------------------------


def test_hostile_strings_register_on_every_database(intake_app: App, account: Account) -> None:
    """Given NUL and control characters in Subject, From name, file name and Message-ID, raw
    8-bit bytes, a 300-character Content-Type and 3,000 References, then the report is
    registered the same on SQLite and PostgreSQL."""
    import base64

    refs = " ".join(f"<r{i}@x.test>" for i in range(3000))
    ctype = "application/pdf; x=" + "y" * 300
    body = (
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b"Content-Type: text/plain\r\n\r\nHej\r\n--B\r\n"
        b"Content-Type: " + ctype.encode() + b"\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="rap\x00port\x07.docx"\r\n\r\n'
        + base64.encodebytes(DOCX).replace(b"\n", b"\r\n")
        + b"--B--\r\n"
    )
    headers = [
        ("From", "Anna\x00 Berg <anna.berg@bollnas.test>"),
        ("To", "kontakt@finsam.test"),
        ("Subject", "Slut\x00rapport \udce5\udce4 \x1b[31m"),
        ("Message-ID", "<nul\x00id@bollnas.test>"),
        ("References", refs),
        ("MIME-Version", "1.0"),
    ]
    head = b"".join(f"{k}: {v}\r\n".encode("utf-8", "surrogateescape") for k, v in headers)
    account.append(head + body, WHEN)
    poll_all(intake_app)
    (msg,) = messages(intake_app)
    assert msg.state == "registered", msg.reason
    assert "\x00" not in (msg.subject or "") and "\x1b" not in (msg.subject or "")
    assert msg.subject is not None and msg.subject.startswith("Slut") and "rapport" in msg.subject
    assert len((msg.references or "").split()) == 50
    with intake_app.sessions() as s:
        (att,) = s.scalars(select(Attachment)).all()
    assert att.filename == "rap port .docx" or "\x00" not in (att.filename or "")
    assert len(att.media_type or "") <= 255


# -- 7. automatic mail loses only its reply ----------------------------------------------


def test_failed_automatic_message_retried_from_the_top(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given an auto-replied message with a report that failed (here: a header limit), when it
    is retried, then it goes through the whole sequence: registered, no kvittens, and the row
    gets its sender, subject and Message-ID; the same file resent is linked, not numbered."""
    sent = message(headers={"Auto-Submitted": "auto-replied"}, attachments=[("r.docx", DOCX)])
    account.append(bytes(sent), WHEN)
    tight = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_header_bytes": 100}
    )
    poll_all(tight)
    (failed,) = messages(tight)
    assert failed.state == "failed" and failed.sender is None
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    outcome = retry_message(app, failed.id)
    assert outcome.state == "registered" and outcome.numbers == ["SFG 26-01.01"]
    (msg,) = messages(app)
    assert msg.sender == "anna.berg@bollnas.test" and msg.subject == "Slutrapport"
    assert msg.message_id == sent["Message-ID"]
    with app.sessions() as s:
        assert set(s.scalars(select(OutboxMail.state))) == {"suppressed"}
    account.append(bytes(message(subject="Igen", attachments=[("r.docx", DOCX)])), WHEN)
    poll_all(app)
    assert numbers(app) == ["SFG 26-01.01"]
    assert [m.state for m in messages(app)] == ["registered", "duplicate"]


# -- 8. deep MIME and TNEF ---------------------------------------------------------------


@pytest.mark.parametrize("levels", [100, 1000])
def test_deep_mime_says_what_was_found(
    db_url: str, tmp_path: Path, account: Account, levels: int
) -> None:
    """Given a report 100 or 1000 MIME levels deep, when polled and retried, then the message
    is kept for staff with the reason, and retry prints one line, never a traceback."""
    account.append(nested(levels, "slutrapport.docx", DOCX), WHEN)
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    poll_all(app)
    deep, good = messages(app)
    assert deep.state == "no_report" and good.state == "registered"
    assert "MIME" in (deep.reason or "") and "lästes inte" in (deep.reason or "")
    if levels == 100:
        assert "slutrapport.docx ligger 100 MIME-nivåer djupt" in (deep.reason or "")
    config = _config(tmp_path, db_url, account)
    done = subprocess.run(
        [INTAKE, "--config", str(config), "retry", str(deep.id)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and done.returncode == 0, done.stderr
    assert "ingen rapport" in done.stdout


def test_winmail_dat_is_named(intake_app: App, account: Account) -> None:
    tnef = message(attachments=[("winmail.dat", b"\x78\x9f\x3e\x22" + b"\0" * 100)])
    account.append(bytes(tnef), WHEN)
    poll_all(intake_app)
    (msg,) = messages(intake_app)
    assert msg.state == "no_report" and "TNEF" in (msg.reason or "")


# -- 9. storage amplification ------------------------------------------------------------


def test_many_tiny_parts_are_not_stored_one_by_one(intake_app: App, account: Account) -> None:
    """Given 400 tiny attachments, then the archive holds the raw message only, the register
    lists a bounded number of them, and the note says how many more there are."""
    parts = [(f"bild{i}.txt", f"{i}".encode()) for i in range(400)]
    account.append(bytes(message(attachments=parts)), WHEN)
    poll_all(intake_app)
    (msg,) = messages(intake_app)
    blobs = [p for p in Path(intake_app.settings.storage.path).rglob("*") if p.is_file()]
    assert len(blobs) == 1
    with intake_app.sessions() as s:
        assert len(s.scalars(select(Attachment.id)).all()) == 200
    assert msg.state == "no_report" and "200 bilagor till" in (msg.reason or "")


def test_a_message_of_thousands_of_parts_is_read_no_further_than_its_headers(
    intake_app: App, account: Account
) -> None:
    """Given 1,500 parts (parsing 60,000 took the standard parser 40 s), then only the headers
    are read, the message is kept for staff with the reason, and the next report goes on."""
    parts = [(f"f{i}.txt", f"{i}".encode()) for i in range(1500)]
    account.append(bytes(message(subject="Många", attachments=parts)), WHEN)
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll_all(intake_app)
    many, good = messages(intake_app)
    assert many.state == "no_report" and "MIME-delar" in (many.reason or "")
    assert many.subject == "Många" and good.state == "registered"


# -- 6. disk full ------------------------------------------------------------------------


def _limited(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


def _full_line(uid: int, why: str) -> str:
    return (
        f"brevlåda kontakt: arkivet är fullt ({why}) vid uid {uid}; hämtningen stoppades, "
        "inget gick förlorat: frigör utrymme så fortsätter nästa hämtning"
    )


def test_disk_full_stops_the_pass_with_one_line_and_loses_nothing(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given an archive that cannot take a 3 MB message (a file-size limit), when polled, then
    the report before it is registered, the pass stops at it with one line stored as the
    mailbox's last error and shown by `intake status`, and a later poll takes the rest."""
    big = os.urandom(3 * 1024 * 1024)
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Stor", attachments=[("stor.pdf", big)])), WHEN)
    account.append(bytes(message(attachments=[("u.docx", UNSIGNED)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    config = _config(tmp_path, db_url, account)
    full = subprocess.run(
        [INTAKE, "--config", str(config), "poll", "--once"],
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=lambda: _limited(2 * 1024 * 1024),
    )
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
    assert numbers(app) == ["SFG 26-01.01"]
    with app.sessions() as s:
        state = s.scalars(select(MailboxState)).one()
    assert state.last_error and "arkivet är fullt" in state.last_error
    assert "\n" not in state.last_error
    status = subprocess.run(
        [INTAKE, "--config", str(config), "status"], capture_output=True, text=True, timeout=60
    )
    assert "arkivet är fullt" in status.stdout + status.stderr
    again = subprocess.run(
        [INTAKE, "--config", str(config), "poll", "--once"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert again.returncode == 0, again.stderr
    assert numbers(app) == ["SFG 26-01.01", "SFG 26-02.01"]
    assert [m.state for m in messages(app)] == ["registered", "no_report", "registered"]


def test_disk_full_in_a_running_poll_forgets_the_attempt_and_marks_what_was_taken(
    db_url: str, tmp_path: Path, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Given the same full archive inside a running poll (a file-size limit on this process),
    when polled, then the report before the big message is registered and marked, the big one
    is neither recorded nor counted as a poison start, and the mailbox's error is the one line
    the operator reads in the log; once there is room, the next poll takes the rest."""
    big = os.urandom(3 * 1024 * 1024)
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Stor", attachments=[("stor.pdf", big)])), WHEN)
    account.append(bytes(message(attachments=[("u.docx", UNSIGNED)])), WHEN)
    first, stuck, _ = account.uids()
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    caplog.set_level(logging.ERROR, logger="intake")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 1024 * 1024, hard))
    try:
        [result] = poll_all(app)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    line = _full_line(stuck, "File too large")
    assert not result.ok and result.error == line
    assert [(o.uid, o.state) for o in result.outcomes] == [(first, "registered")]
    assert [r.getMessage() for r in caplog.records if r.name == "intake"] == [line]
    assert [(m.uid, m.state, m.marked_on_server) for m in messages(app)] == [
        (first, "registered", True)
    ]
    assert b"$CasefileProcessed" in account.flags()[first]
    with app.sessions() as s:
        assert s.scalars(select(schema.message_attempts.c.uid)).all() == []
        state = s.scalars(select(MailboxState)).one()
    assert state.last_error == line and state.last_success_at is None
    [again] = poll_all(app)
    assert again.ok, again.error
    assert numbers(app) == ["SFG 26-01.01", "SFG 26-02.01"]


class _FillingArchive(Archive):
    """The real archive, except that the writes of chosen data fail with the errors given, in
    order: a real disk cannot be made to fill up at one exact step of a pass."""

    def __init__(self, root: Path, fails: Callable[[bytes], bool], errors: list[OSError]):
        super().__init__(root)
        self.fails, self.errors = fails, errors

    def put(self, data: bytes) -> str:
        if self.errors and self.fails(data):
            raise self.errors.pop(0)
        return super().put(data)


def test_disk_full_while_an_oversize_message_is_recorded_stops_before_anything_is_lost(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given an over-size message between two reports and a disk that fills up as its failure
    is recorded, when polled, then the pass stops at it with the one line, nothing is recorded
    and the watermark stays put; once there is room, the next poll takes all three."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Stor", body="x" * 150_000)), WHEN)
    account.append(bytes(message(attachments=[("u.docx", UNSIGNED)])), WHEN)
    _, big, _ = account.uids()
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_message_bytes": 100_000}
    )
    app.__dict__["archive"] = _FillingArchive(  # in place of the cached property's value
        app.settings.storage.path, lambda data: data == b"", [OSError(errno.ENOSPC, "Disk full")]
    )

    [result] = poll_all(app)

    assert (result.ok, result.error, result.outcomes) == (False, _full_line(big, "Disk full"), [])
    assert messages(app) == []
    with app.sessions() as s:
        assert s.scalars(select(MailboxState.last_uid)).one() == 0
    [again] = poll_all(app)
    assert again.ok, again.error
    assert [m.state for m in messages(app)] == ["registered", "failed", "registered"]
    assert numbers(app) == ["SFG 26-01.01", "SFG 26-02.01"]


def test_disk_full_while_a_broken_message_is_shunted_marks_what_was_taken(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a report, then a message the archive cannot take (an I/O error) and a disk that
    fills up as that failure is recorded, when polled, then the report before it is registered
    and marked, the broken one is neither recorded nor counted as a poison start, and the pass
    stops with the one line; once the disk is sound, the next poll registers the rest."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Trasig", attachments=[("u.docx", UNSIGNED)])), WHEN)
    first, broken = account.uids()
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    errors = [OSError(errno.EIO, "Input/output error"), OSError(errno.ENOSPC, "Disk full")]
    app.__dict__["archive"] = _FillingArchive(
        app.settings.storage.path, lambda data: b"Subject: Trasig" in data, errors
    )

    [result] = poll_all(app)

    assert (result.ok, result.error) == (False, _full_line(broken, "Disk full"))
    assert [(o.uid, o.state) for o in result.outcomes] == [(first, "registered")]
    assert [(m.uid, m.state, m.marked_on_server) for m in messages(app)] == [
        (first, "registered", True)
    ]
    assert b"$CasefileProcessed" in account.flags()[first]
    assert b"$CasefileProcessed" not in account.flags()[broken]
    with app.sessions() as s:
        assert s.scalars(select(schema.message_attempts.c.uid)).all() == []
    [again] = poll_all(app)
    assert again.ok, again.error
    assert [(o.uid, o.state) for o in again.outcomes] == [(broken, "registered")]
    assert numbers(app) == ["SFG 26-01.01", "SFG 26-02.01"]


def test_one_unfinished_start_is_tried_again_two_are_put_aside(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given the markers a killed poll leaves (one unfinished start for the first message, two
    for the second), when polled, then the first is handled as usual and the second recorded
    as failed with the reason, unmarked on the server; no marker is left."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Bomben", attachments=[("u.docx", UNSIGNED)])), WHEN)
    once, twice = account.uids()
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    with account.client() as c:
        uidvalidity = int(c.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"])
    key = {"mailbox": "kontakt", "folder": "INBOX", "uidvalidity": uidvalidity}
    with app.engine.begin() as conn:
        conn.execute(insert(schema.message_attempts).values(uid=once, attempts=1, **key))
        conn.execute(insert(schema.message_attempts).values(uid=twice, attempts=2, **key))

    [result] = poll_all(app)

    assert [(o.uid, o.state) for o in result.outcomes] == [(once, "registered"), (twice, "failed")]
    registered, poison = messages(app)
    assert (registered.uid, poison.uid) == (once, twice)
    assert poison.reason == (
        "meddelandet stoppade intaget 2 gånger (processen dog); det lades åt sidan"
    )
    assert poison.size > 0 and app.archive.has(poison.raw_sha256)
    assert numbers(app) == ["SFG 26-01.01"]
    assert b"$CasefileProcessed" not in account.flags()[twice]
    with app.sessions() as s:
        assert s.scalars(select(schema.message_attempts.c.uid)).all() == []
