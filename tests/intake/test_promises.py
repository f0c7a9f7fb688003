"""README promises of intake, each through a real poll of a real Dovecot (or a Maildir).

Every test here was checked to fail when the promise is broken on purpose (see
tests/MUTANTS.md): the shunt, the size limit, the live automatic-mail rules and
the arrival time in Swedish time, also on a host whose clock is not UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Event
from intake.mail.poll import poll_all
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.rows import documents, messages, outbox

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
OTHER_DOCX = (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()
# 23:30 in Stockholm on 2 February: a clock read in the wrong zone moves it to 3 February.
LATE_EVENING = dt.datetime(2026, 2, 2, 22, 30, tzinfo=dt.UTC)


@pytest.fixture
def stockholm_clock() -> Iterator[None]:
    """The process's local time zone is Stockholm for the test (as on an office server)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Stockholm"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_a_message_that_breaks_the_pipeline_is_shunted_and_the_next_goes_on(
    db_url: str, tmp_path: Path, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a message whose attachment cannot be stored (the archive's folder for it is
    blocked by a file), when polled, then that message is recorded as failed, its raw bytes
    kept, the error with its traceback logged and audited, it is left unmarked on the server,
    and the next message in the same mailbox is registered."""
    # An archive deep in the file system: the error names the path and is over 500 characters.
    deep = tmp_path / ("arkiv-" + "a" * 200) / ("b" * 200) / ("c" * 100)
    app = build_app(db_url, tmp_path, account.mailbox_settings(), storage={"path": str(deep)})
    bad = bytes(message(attachments=[("a.docx", OTHER_DOCX)], message_id="<bad-1@bollnas.test>"))
    good = bytes(message(attachments=[("b.docx", DOCX)], message_id="<good-1@bollnas.test>"))
    blocked = hashlib.sha256(OTHER_DOCX).hexdigest()
    shard = Path(app.settings.storage.path) / blocked[:2] / blocked[2:4]
    shard.parent.mkdir(parents=True)
    shard.write_bytes(b"not a folder")
    account.append(bad, WHEN)
    account.append(good, WHEN + dt.timedelta(minutes=1))

    bad_uid, good_uid = account.uids()
    caplog.set_level(logging.INFO, logger="intake")

    [result] = poll_all(app)

    assert result.ok, result.error
    assert [o.state for o in result.outcomes] == ["failed", "registered"]
    first, second = messages(app)
    assert first.state == "failed" and first.reason
    assert first.reason.startswith("FileExistsError: [Errno 17] File exists: ")
    assert len(first.reason) == 500  # cut: the full text is in the log
    assert (first.uid, first.message_id, first.marked_on_server) == (bad_uid, None, False)
    assert b"$CasefileProcessed" not in account.flags()[bad_uid]
    said = [r.getMessage() for r in caplog.records if r.name == "intake"]
    assert said[0].startswith(f"brevlåda kontakt uid {bad_uid}: {first.reason}")
    assert f"{blocked[2:4]}'\nTraceback (most recent call last):\n" in said[0]
    assert said[1:] == [
        f"brevlåda=kontakt uid={bad_uid} utfall=failed diarienummer=-",
        f"brevlåda=kontakt uid={good_uid} utfall=registered diarienummer=SFG 26-01.01",
    ]
    with app.sessions() as s:
        [failed] = s.scalars(select(Event).where(Event.action == "message_failed")).all()
    assert failed.source_message_id == first.id and failed.detail == {"error": first.reason}
    assert first.raw_sha256[:4] != blocked[:4]  # the raw message could be stored
    assert app.archive.get(first.raw_sha256).replace(b"\r\n", b"\n") == bad
    assert second.state == "registered"
    assert [d.diarienummer for d in documents(app)] == ["SFG 26-01.01"]
    app.engine.dispose()


def test_an_oversize_message_is_refused_with_a_reason(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a limit of 100 000 bytes, a 300 kB message is recorded as failed with the size
    and the limit in its reason, never fetched into a case; a small one after it is taken."""
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_message_bytes": 100_000}
    )
    big = message(body="x" * 300_000, attachments=[("big.docx", OTHER_DOCX)])
    account.append(bytes(big), WHEN)
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)

    [result] = poll_all(app)

    assert result.ok, result.error
    first, second = messages(app)
    assert first.state == "failed"
    assert "för stort" in (first.reason or "") and "100000" in (first.reason or "")
    assert first.size == 0  # refused before the body was fetched
    assert second.state == "registered"
    [doc] = documents(app)
    assert doc.title == "Kärnhuset 2.0"
    app.engine.dispose()


@pytest.mark.parametrize(
    ("headers", "rule"),
    [
        ({"X-Casefile-Loop": "kontakt@finsam.test"}, "own_loop"),
        ({"Return-Path": "<>"}, "null_sender"),
    ],
)
def test_automatic_mail_by_live_rules_gets_no_case_and_no_answer(
    intake_app: App, account: Account, headers: dict[str, str], rule: str
) -> None:
    """Given a report from an ordinary sender that carries only our loop header, or only an
    empty Return-Path, when polled, then that rule marks it automatic and no acknowledgement
    goes out."""
    account.append(bytes(message(headers=headers, attachments=[("r.docx", DOCX)])), WHEN)

    poll_all(intake_app)

    [msg] = messages(intake_app)
    # The rule is named (a report in it may still be registered for staff), and nothing goes
    # back to the sender.
    assert rule in (msg.reason or ""), msg.reason
    # At most a row kept as "suppressed" for staff to see; nothing queued or sent.
    assert [row.state for row in outbox(intake_app) if row.state != "suppressed"] == []


def test_our_loop_header_is_read_whatever_it_is_called(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given `[mail] loop_header = "X-Forbund-Auto"` (no "loop" in the name), a report that
    carries only that header is marked by the own_loop rule and gets no answer."""
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), mail={"loop_header": "X-Forbund-Auto"}
    )
    headers = {"X-Forbund-Auto": "kontakt@finsam.test"}
    account.append(bytes(message(headers=headers, attachments=[("r.docx", DOCX)])), WHEN)

    poll_all(app)

    [msg] = messages(app)
    assert "own_loop" in (msg.reason or ""), msg.reason
    assert [row.state for row in outbox(app) if row.state != "suppressed"] == []
    app.engine.dispose()


def test_an_ordinary_report_next_to_them_is_answered(intake_app: App, account: Account) -> None:
    """The control for the test above: the same report without those headers gets a case and
    an acknowledgement, so the rules above are what kept the others silent."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll_all(intake_app)
    [msg] = messages(intake_app)
    assert msg.state == "registered"
    assert len(outbox(intake_app)) >= 1


@pytest.mark.usefixtures("stockholm_clock")
def test_imap_arrival_time_on_a_host_in_stockholm_time(intake_app: App, account: Account) -> None:
    """Given the host's local zone is Stockholm, a message the server received at 22:30 UTC
    on 2 February (23:30 Swedish time) arrives on 2 February, at exactly that instant."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), LATE_EVENING)
    poll_all(intake_app)
    [doc] = documents(intake_app)
    assert doc.received_at == LATE_EVENING
    assert doc.received_date == dt.date(2026, 2, 2)
    [msg] = messages(intake_app)
    assert msg.internal_date == LATE_EVENING


@pytest.mark.parametrize("zone", ["UTC", "Europe/Stockholm"])
def test_maildir_arrival_time_is_the_delivery_time_in_swedish_time(
    db_url: str, tmp_path: Path, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a Maildir file delivered at 23:30 Swedish time on 2 February (its mtime), when
    polled days later, then the report arrived on 2 February at that instant."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        root = tmp_path / "maildir"
        for sub in ("new", "cur", "tmp"):
            (root / sub).mkdir(parents=True)
        path = root / "new" / "1700000000.M1P1.host"
        path.write_bytes(bytes(message(attachments=[("r.docx", DOCX)])))
        stamp = LATE_EVENING.timestamp()
        os.utime(path, (stamp, stamp))
        app = build_app(db_url, tmp_path, {"name": "demo", "type": "maildir", "path": str(root)})
        [result] = poll_all(app)
        assert result.ok, result.error
        [doc] = documents(app)
        assert doc.received_at == LATE_EVENING
        assert doc.received_date == dt.date(2026, 2, 2)
        app.engine.dispose()
    finally:
        monkeypatch.undo()
        time.tzset()
