"""Polling a real Dovecot: every message exactly once, reports registered, nothing lost."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import logging
import os
import shutil
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from casefile.app import App
from casefile.db import schema
from casefile.db.migrate import upgrade
from casefile.db.models import (
    Attachment,
    Case,
    Event,
    MailboxState,
    MessageAttempt,
    OutboxMail,
    SourceMessage,
    StoredFile,
)
from casefile.queries import inbox_json
from intake.cli import cli
from intake.mail.pipeline import Pipeline
from intake.mail.poll import _reset_watermark, poll_all, poll_mailbox
from intake.mail.records import Identity
from intake.sources.base import FetchedMessage
from tests.intake.conftest import build_app
from tests.register.factories import stored_message
from tests.support.dovecot import Account, DovecotServer, free_port
from tests.support.mail import DOCX as DOCX_TYPE
from tests.support.mail import REPORTS, forwarded, message
from tests.support.rows import documents, messages, poll
from tests.support.toml import write_config

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
PDF = (REPORTS / "r01_cell_iso_endash.pdf").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()


def test_report_is_registered_with_server_arrival_date(intake_app: App, account: Account) -> None:
    """Given a report in the inbox, when polled, then it is registered once and marked."""
    account.append(bytes(message(attachments=[("slutrapport.docx", DOCX)])), WHEN)
    poll(intake_app)
    docs = documents(intake_app)
    assert [d.diarienummer for d in docs] == ["SFG 26-01.01"]
    doc = docs[0]
    assert doc.received_date == dt.date(2026, 2, 3)
    assert doc.title == "Kärnhuset 2.0"
    assert doc.sender == "anna.berg@bollnas.test"
    assert doc.received_at == WHEN
    (flags,) = account.flags().values()
    assert b"$CasefileProcessed" in flags
    assert b"\\Seen" not in flags  # BODY.PEEK: people still see it as unread in webmail
    with intake_app.sessions() as s:  # the poison marker of a finished message is gone
        assert s.scalar(select(func.count()).select_from(MessageAttempt)) == 0
    poll(intake_app)
    assert len(documents(intake_app)) == 1


def test_midnight_arrival_counts_in_swedish_time(intake_app: App, account: Account) -> None:
    """00:20 in Stockholm on 3 February is 23:20 UTC on 2 February."""
    account.append(
        bytes(message(attachments=[("r.docx", DOCX)])),
        dt.datetime(2026, 2, 2, 23, 20, tzinfo=dt.UTC),
    )
    poll(intake_app)
    assert documents(intake_app)[0].received_date == dt.date(2026, 2, 3)


def test_message_read_in_webmail_is_still_taken(intake_app: App, account: Account) -> None:
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN, flags=(b"\\Seen",))
    poll(intake_app)
    assert len(documents(intake_app)) == 1


def test_forwarded_report_is_found(intake_app: App, account: Account) -> None:
    inner = message(attachments=[("Slutrapport Kärnhuset.docx", DOCX)])
    account.append(bytes(forwarded(inner)), WHEN)
    poll(intake_app)
    (doc,) = documents(intake_app)
    assert doc.title == "Kärnhuset 2.0"
    with intake_app.sessions() as s:
        names = s.scalars(select(Attachment.filename)).all()
    assert "Slutrapport Kärnhuset.docx" in names


def test_docx_and_pdf_of_one_report_make_one_document(intake_app: App, account: Account) -> None:
    account.append(bytes(message(attachments=[("r.docx", DOCX), ("r.pdf", PDF)])), WHEN)
    poll(intake_app)
    (doc,) = documents(intake_app)
    with intake_app.sessions() as s:
        files = s.scalars(select(Attachment.media_type).where(Attachment.document_id == doc.id))
        assert sorted(files) == [
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ]


def test_same_report_sent_twice_is_registered_once(intake_app: App, account: Account) -> None:
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(
        bytes(message(subject="Slutrapport igen", attachments=[("r.docx", DOCX)])),
        WHEN + dt.timedelta(hours=1),
    )
    poll(intake_app)
    assert len(documents(intake_app)) == 1
    first, second = messages(intake_app)
    assert (first.state, second.state) == ("registered", "duplicate")
    assert "SFG 26-01.01" in (second.reason or "")


def test_same_message_id_different_messages_both_handled(intake_app: App, account: Account) -> None:
    account.append(bytes(message(attachments=[("r.docx", DOCX)], message_id="<same@x.test>")), WHEN)
    account.append(
        bytes(
            message(
                attachments=[("u.docx", UNSIGNED)], message_id="<same@x.test>", body="Annan text"
            )
        ),
        WHEN,
    )
    poll(intake_app)
    assert len(documents(intake_app)) == 2


def test_automatic_mail_without_a_report_gets_no_case(intake_app: App, account: Account) -> None:
    variants = [
        message(headers={"Auto-Submitted": "auto-replied"}),
        message(sender="MAILER-DAEMON@bollnas.test", subject="Undelivered"),
        message(headers={"List-Id": "<nyhetsbrev.finsam.test>"}),
        message(sender="no-reply@kommun.test"),
        message(headers={"Precedence": "bulk"}),
    ]
    for msg in variants:
        account.append(bytes(msg), WHEN)
    poll(intake_app)
    assert documents(intake_app) == []
    assert [m.state for m in messages(intake_app)] == ["automatic"] * len(variants)


def test_report_from_an_automatic_sender_is_registered_and_not_answered(
    intake_app: App, account: Account
) -> None:
    """Given reports sent by an e-service (no-reply sender, Auto-Submitted), when polled, then
    each is registered and its acknowledgement is suppressed, not sent."""
    account.append(
        bytes(message(sender="no-reply@kommun.test", attachments=[("r.docx", DOCX)])), WHEN
    )
    account.append(
        bytes(
            message(
                headers={"Auto-Submitted": "auto-generated"}, attachments=[("u.docx", UNSIGNED)]
            )
        ),
        WHEN,
    )
    poll(intake_app)
    assert [d.diarienummer for d in documents(intake_app)] == ["SFG 26-01.01", "SFG 26-02.01"]
    assert [m.state for m in messages(intake_app)] == ["registered", "registered"]
    assert all("ingen kvittens" in (m.reason or "") for m in messages(intake_app))
    with intake_app.sessions() as s:
        states = set(s.scalars(select(OutboxMail.state)))
    assert states == {"suppressed"}


def test_message_without_report_is_kept_for_staff(intake_app: App, account: Account) -> None:
    account.append(bytes(message(subject="Fråga om ansökan")), WHEN)
    poll(intake_app)
    with intake_app.engine.connect() as conn:
        inbox = inbox_json(conn)
    assert [(m["subject"], m["state"]) for m in inbox] == [("Fråga om ansökan", "no_report")]


def _make_bad_docx() -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<not really")
    return buf.getvalue()[:-30]


BAD_DOCX = _make_bad_docx()


def test_unreadable_attachment_is_quarantined_and_does_not_block(
    intake_app: App, account: Account
) -> None:
    account.append(bytes(message(attachments=[("trasig.docx", BAD_DOCX)])), WHEN)
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll(intake_app)
    assert len(documents(intake_app)) == 1
    bad, good = messages(intake_app)
    assert (bad.state, good.state) == ("quarantined", "registered")
    with intake_app.engine.connect() as conn:
        inbox = inbox_json(conn)
    with intake_app.sessions() as s:
        quarantined = s.scalars(select(Attachment).where(Attachment.state == "quarantined")).one()
    assert inbox[0]["attachments"][0]["error"]
    assert intake_app.archive.get(quarantined.sha256) == BAD_DOCX


def test_unchanged_mailbox_fetches_nothing(intake_app: App, account: Account) -> None:
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll(intake_app)
    result = poll_all(intake_app)[0]
    assert result.ok and result.outcomes == []
    with intake_app.sessions() as s:
        state = s.scalars(select(MailboxState)).one()
    assert state.last_uid == account.uids()[0]
    assert state.last_success_at is not None


def test_uidvalidity_reset_registers_nothing_twice(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a folder that is recreated with the same mail, then nothing is registered again."""
    account.create_folder("Rapporter")
    no_id = message(subject="Utan Message-ID")
    del no_id["Message-ID"]
    raws = [
        bytes(message(attachments=[("r.docx", DOCX)])),
        bytes(message(subject="Hej")),
        bytes(no_id),
    ]
    for raw in raws:
        account.append(raw, WHEN, folder="Rapporter")
    app = build_app(db_url, tmp_path, account.mailbox_settings(folder="Rapporter"))
    poll(app)
    with account.client() as c:
        c.delete_folder("Rapporter")
        c.create_folder("Rapporter")
    for raw in [*raws, bytes(message(attachments=[("u.docx", UNSIGNED)]))]:
        account.append(raw, WHEN, folder="Rapporter")
    poll(app)
    assert [d.diarienummer for d in documents(app)] == ["SFG 26-01.01", "SFG 26-02.01"]
    states = [m.state for m in messages(app)]
    assert states == [
        "registered",
        "no_report",
        "no_report",
        "duplicate",
        "duplicate",
        "duplicate",
        "registered",
    ]
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SourceMessage)) == 7


def test_bad_password_does_not_stop_other_mailboxes(
    db_url: str, tmp_path: Path, dovecot: DovecotServer
) -> None:
    good, bad = dovecot.add_account(), dovecot.add_account()
    good.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    bad_box = bad.mailbox_settings(name="fel")
    bad_box["password_env"] = "TEST_WRONG_PASSWORD"
    import os

    os.environ["TEST_WRONG_PASSWORD"] = "inte-rätt"
    app = build_app(db_url, tmp_path, bad_box, good.mailbox_settings(name="kontakt"))
    results = poll_all(app)
    assert [(r.mailbox, r.ok) for r in results] == [("fel", False), ("kontakt", True)]
    assert "fel" in (results[0].error or "") and "inloggningen nekades" in (results[0].error or "")
    assert len(documents(app)) == 1
    with app.sessions() as s:
        health = s.get(MailboxState, ("fel", "INBOX"))
        assert health is not None and health.last_error and health.last_success_at is None


def test_password_with_swedish_letters(db_url: str, tmp_path: Path, dovecot: DovecotServer) -> None:
    account = dovecot.add_account(password="hemlig-åäö-ÅÄÖ")
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    poll(app)
    assert len(documents(app)) == 1


def test_tls_certificate_is_verified(db_url: str, tmp_path: Path, dovecot: DovecotServer) -> None:
    account = dovecot.add_account()
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    box = account.mailbox_settings(port=dovecot.tls_port, security="ssl")
    app = build_app(db_url, tmp_path, box)
    result = poll_mailbox(app, app.settings.mailboxes[0], sleep=lambda _: None)
    assert not result.ok and "kan inte nå" in (result.error or "")
    assert documents(app) == []
    trusted = build_app(
        db_url,
        tmp_path / "t",
        account.mailbox_settings(port=dovecot.tls_port, security="ssl", ca_file=str(dovecot.cert)),
    )
    poll(trusted)
    assert len(documents(trusted)) == 1


def test_processed_folder_move(db_url: str, tmp_path: Path, account: Account) -> None:
    account.create_folder("Registrerat")
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings(processed_folder="Registrerat"))
    poll(app)
    assert account.uids("INBOX") == [] and len(account.uids("Registrerat")) == 1
    assert len(documents(app)) == 1


def test_maildir_source(db_url: str, tmp_path: Path) -> None:
    root = tmp_path / "maildir"
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1.demo").write_bytes(bytes(message(attachments=[("r.docx", DOCX)])))
    (root / "new" / "2.demo").write_bytes(bytes(message(subject="Utan bilaga")))
    app = build_app(db_url, tmp_path, {"name": "demo", "type": "maildir", "path": str(root)})
    poll(app)
    poll(app)
    assert len(documents(app)) == 1
    assert sorted(m.state for m in messages(app)) == ["no_report", "registered"]
    shutil.copy(root / "new" / "1.demo", root / "new" / "3.demo")
    poll(app)
    assert len(documents(app)) == 1 and len(messages(app)) == 3


def test_a_maildir_is_read_once_and_a_box_pointed_elsewhere_reads_its_new_folder(
    db_url: str, tmp_path: Path
) -> None:
    """Given a Maildir mailbox polled once, when polled again, then no file is fetched again;
    and when the operator points the mailbox at another Maildir holding a file of the same
    name, then that file is read: the register knows files per mailbox and folder."""
    first, second = tmp_path / "maildir", tmp_path / "ny"
    for root in (first, second):
        for sub in ("new", "cur", "tmp"):
            (root / sub).mkdir(parents=True)
    other = (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()
    (first / "new" / "1.demo").write_bytes(bytes(message(attachments=[("r.docx", DOCX)])))
    (second / "new" / "1.demo").write_bytes(bytes(message(attachments=[("o.docx", other)])))
    app = build_app(db_url, tmp_path, {"name": "demo", "type": "maildir", "path": str(first)})

    [taken] = poll_all(app)
    [again] = poll_all(app)
    moved = build_app(db_url, tmp_path, {"name": "demo", "type": "maildir", "path": str(second)})
    [elsewhere] = poll_all(moved)

    assert [(o.state, o.numbers) for o in taken.outcomes] == [("registered", ["SFG 26-01.01"])]
    assert (again.ok, again.outcomes) == (True, [])
    assert [(o.state, o.numbers) for o in elsewhere.outcomes] == [("registered", ["SFG 26-02.01"])]
    app.engine.dispose()
    moved.engine.dispose()


def test_quarantined_message_can_be_retried_after_the_limit_is_raised(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a report refused by a tight size limit, when staff retry it with the limit
    raised, then it is registered from the archive, once."""
    from intake.mail.retry import retry_message

    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    tight = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_attachment_bytes": 1000}
    )
    poll(tight)
    (msg,) = messages(tight)
    assert msg.state == "quarantined" and documents(tight) == []
    normal = build_app(db_url, tmp_path, account.mailbox_settings())
    outcome = retry_message(normal, msg.id)
    assert outcome.state == "registered" and outcome.numbers == ["SFG 26-01.01"]
    (doc,) = documents(normal)
    assert doc.received_date == dt.date(2026, 2, 3)
    # The attachment's row of the first try is the one brought up to date, not a second row
    with normal.sessions() as s:
        rows = s.scalars(select(Attachment).where(Attachment.source_message_id == msg.id)).all()
        assert [(a.filename, a.state, a.error, a.document_id) for a in rows] == [
            ("r.docx", "report", None, doc.id)
        ]
    from casefile.register import RegisterError

    with pytest.raises(RegisterError, match="inget att försöka igen"):
        retry_message(normal, msg.id)


def test_stop_request_finishes_the_message_in_hand_and_counts_the_rest(
    intake_app: App, account: Account
) -> None:
    """Given three new reports, when a stop is requested during the first, then that one is
    registered, the other two wait on the server, and the next poll takes them."""
    for data in (DOCX, UNSIGNED, PDF):
        account.append(bytes(message(attachments=[("rapport", data)])), WHEN)
    box = intake_app.settings.mailboxes[0]
    first = poll_mailbox(intake_app, box, should_stop=lambda: True)
    assert [o.state for o in first.outcomes] == ["registered"] and first.waiting == 2
    with intake_app.sessions() as s:
        assert s.scalars(select(MailboxState)).one().waiting == 2
    rest = poll_mailbox(intake_app, box)
    assert len(rest.outcomes) == 2 and rest.waiting == 0
    docs = documents(intake_app)
    # The PDF later, in a message of its own, is a new document in the DOCX's case.
    assert [d.diarienummer for d in docs] == ["SFG 26-01.01", "SFG 26-02.01", "SFG 26-01.02"]


def test_starttls_is_verified_too(db_url: str, tmp_path: Path, dovecot: DovecotServer) -> None:
    account = dovecot.add_account()
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    untrusted = build_app(db_url, tmp_path, account.mailbox_settings(security="starttls"))
    result = poll_mailbox(untrusted, untrusted.settings.mailboxes[0], sleep=lambda _: None)
    assert not result.ok and "certificate verify failed" in (result.error or "").lower()
    trusted = build_app(
        db_url,
        tmp_path / "t",
        account.mailbox_settings(security="starttls", ca_file=str(dovecot.cert)),
    )
    poll(trusted)
    assert len(documents(trusted)) == 1


# -- what staff and the operator read afterwards: the audit log, the mailbox's health -----


def events(app: App, action: str) -> list[Event]:
    with app.sessions() as s:
        return list(s.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def mailbox_state(app: App) -> MailboxState:
    with app.sessions() as s:
        return s.scalars(select(MailboxState)).one()


def test_each_disposition_is_in_the_audit_log_with_its_details(
    intake_app: App, account: Account
) -> None:
    """Given a report, the same report resent, the same message again, automatic mail, a
    message without a report and an unreadable file, when polled, then the audit log says for
    each row what became of it, by the bot, with the details staff look for."""
    first = message(attachments=[("r.docx", DOCX)], message_id="<ett@bollnas.test>")
    account.append(bytes(first), WHEN)
    account.append(bytes(message(subject="Igen", attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(first), WHEN)
    account.append(bytes(message(headers={"Auto-Submitted": "auto-replied"})), WHEN)
    account.append(bytes(message(subject="Fråga")), WHEN)
    account.append(bytes(message(attachments=[("trasig.docx", BAD_DOCX)])), WHEN)

    poll(intake_app)

    report, resent, copy, auto, question, broken = messages(intake_app)
    assert [m.state for m in (report, resent, copy, auto, question, broken)] == [
        "registered",
        "duplicate",
        "duplicate",
        "automatic",
        "no_report",
        "quarantined",
    ]
    assert resent.reason == "redan registrerad som SFG 26-01.01"
    assert copy.reason == f"samma meddelande som post {report.id}"
    assert copy.duplicate_of_id == report.id and resent.duplicate_of_id is None
    assert auto.reason == "auto_submitted"
    assert question.reason == "ingen rapport bifogad"
    assert (broken.reason or "").startswith("bilagan kunde inte läsas: ")
    (doc,) = documents(intake_app)
    [again] = events(intake_app, "report_resent")
    assert (again.source_message_id, again.document_id, again.case_id) == (
        resent.id,
        doc.id,
        doc.case_id,
    )
    [dup] = events(intake_app, "message_duplicate")
    assert (dup.source_message_id, dup.detail) == (copy.id, {"of": report.id})
    [automatic] = events(intake_app, "message_automatic")
    assert (automatic.source_message_id, automatic.detail) == (auto.id, {"rule": "auto_submitted"})
    [without] = events(intake_app, "message_without_report")
    assert (without.source_message_id, without.detail) == (question.id, {})
    [unreadable] = events(intake_app, "attachment_quarantined")
    with intake_app.sessions() as s:
        row = s.scalars(select(Attachment).where(Attachment.state == "quarantined")).one()
    assert unreadable.source_message_id == broken.id
    assert unreadable.detail == {"filename": "trasig.docx", "error": row.error}
    assert row.error and broken.reason == f"bilagan kunde inte läsas: {row.error}"
    bot = intake_app.settings.registry.bot_actor
    assert {e.actor for e in (again, dup, automatic, without, unreadable)} == {bot}


def test_a_failed_message_is_audited_and_the_watermark_passes_it(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given an over-size message last in the inbox, when polled, then its row names the
    mailbox, folder, UID and arrival, the audit log has the failure with its reason, and the
    watermark is past it, so the next poll does not fetch it again."""
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_message_bytes": 100_000}
    )
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(body="x" * 150_000)), WHEN + dt.timedelta(minutes=5))
    big_uid = account.uids()[-1]

    [result] = poll_all(app)

    assert [(o.uid, o.state) for o in result.outcomes] == [
        (big_uid, "failed"),
        (big_uid - 1, "registered"),
    ]
    big, _ = messages(app)
    assert (big.mailbox, big.folder, big.uid, big.size) == ("kontakt", "INBOX", big_uid, 0)
    assert big.internal_date == WHEN + dt.timedelta(minutes=5)
    assert big.reason is not None
    assert big.reason.startswith("meddelandet är för stort (") and big.reason.endswith(
        " byte, gräns 100000)"
    )
    assert (result.outcomes[0].reason, result.outcomes[0].message_row) == (big.reason, big.id)
    [failed] = events(app, "message_failed")
    assert failed.source_message_id == big.id and failed.detail == {"error": big.reason}
    with app.sessions() as s:
        stored = s.get(StoredFile, big.raw_sha256)
    assert stored is not None and (stored.size, stored.media_type) == (0, "message/rfc822")
    assert failed.actor == app.settings.registry.bot_actor
    state = mailbox_state(app)
    assert state.last_uid == big_uid and state.uidvalidity is not None
    assert state.last_error is None and state.last_success_at is not None
    assert poll_all(app)[0].outcomes == []
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(MessageAttempt)) == 0
    app.engine.dispose()


def test_an_unreachable_server_is_tried_three_times_then_said_in_one_line(
    db_url: str, tmp_path: Path, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a mailbox on a port where nothing listens, when polled, then the connection is
    tried three times with 1 s and 2 s between, and the failure is one line in the log and in
    the mailbox's health; a refused login is not retried at all."""
    port = free_port()
    app = build_app(db_url, tmp_path, account.mailbox_settings(port=port))
    waits: list[float] = []
    caplog.set_level(logging.ERROR, logger="intake")

    result = poll_mailbox(app, app.settings.mailboxes[0], sleep=waits.append)

    assert waits == [1.0, 2.0]
    assert not result.ok and result.outcomes == []
    assert (result.error or "").startswith(f"brevlåda kontakt: kan inte nå 127.0.0.1:{port} (")
    assert [r.getMessage() for r in caplog.records if r.name == "intake"] == [result.error]
    state = mailbox_state(app)
    assert (state.mailbox, state.folder) == ("kontakt", "INBOX")
    assert state.last_error == result.error and state.last_error_at is not None
    assert state.last_success_at is None
    refused = account.mailbox_settings(name="nekad", password_env="TEST_WRONG_PASSWORD")
    os.environ["TEST_WRONG_PASSWORD"] = "inte-rätt"
    other = build_app(db_url, tmp_path / "nekad", refused)
    waits.clear()
    result = poll_mailbox(other, other.settings.mailboxes[0], sleep=waits.append)
    assert waits == [] and "inloggningen nekades" in (result.error or "")
    app.engine.dispose()
    other.engine.dispose()


def test_a_failed_poll_keeps_the_time_of_the_last_good_one(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a mailbox polled once, when a later poll cannot reach the server, then its health
    keeps the last good poll and the watermark, and adds the error; the next good poll is
    recorded again, the error kept for the record."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    poll(app)
    good = mailbox_state(app)
    broken = build_app(db_url, tmp_path, account.mailbox_settings(port=free_port()))

    poll_mailbox(broken, broken.settings.mailboxes[0], sleep=lambda _: None)

    state = mailbox_state(app)
    assert state.last_success_at == good.last_success_at and state.last_uid == good.last_uid
    assert state.last_error and "kan inte nå" in state.last_error
    assert state.last_error_at is not None and state.last_error_at >= good.last_success_at
    poll(app)
    assert mailbox_state(app).last_success_at > good.last_success_at  # type: ignore[operator]
    app.engine.dispose()
    broken.engine.dispose()


def test_a_changed_uidvalidity_is_logged_and_audited(
    db_url: str, tmp_path: Path, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a folder polled once and then recreated, when polled again, then the operator
    reads one warning with the old and new UIDVALIDITY, and the audit log has the change."""
    account.create_folder("Rapporter")
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN, folder="Rapporter")
    bomb = bytes(message(headers={"X-Ord": " ".join(["ord"] * 1000)}))
    account.append(bomb, WHEN, folder="Rapporter")
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(folder="Rapporter"),
        limits={"max_header_bytes": 2000},
    )
    poll(app)
    old = mailbox_state(app).uidvalidity
    with account.client() as c:
        c.delete_folder("Rapporter")
        c.create_folder("Rapporter")
    account.append(bytes(message(subject="Hej")), WHEN, folder="Rapporter")
    account.append(bytes(message(subject="Hej igen")), WHEN, folder="Rapporter")
    caplog.set_level(logging.WARNING, logger="intake")

    poll(app)

    state = mailbox_state(app)
    assert old is not None and state.uidvalidity not in (None, old)
    assert state.last_uid == account.uids("Rapporter")[-1]
    warnings = [r.getMessage() for r in caplog.records if r.name == "intake"]
    assert warnings == [
        f"brevlåda kontakt: UIDVALIDITY ändrad {old} -> {state.uidvalidity}; läser om mappen"
    ]
    # Marks go to this UIDVALIDITY's rows only: the failed row of the old folder with the same
    # UID was never marked on the server, and still says so.
    assert [(m.uid, m.state, m.marked_on_server) for m in messages(app)] == [
        (1, "registered", True),
        (2, "failed", False),
        (1, "no_report", True),
        (2, "no_report", True),
    ]
    [changed] = events(app, "uidvalidity_changed")
    assert changed.detail == {
        "mailbox": "kontakt",
        "folder": "Rapporter",
        "old": old,
        "new": state.uidvalidity,
    }
    app.engine.dispose()


def test_messages_registered_before_marking_was_turned_on_are_marked_later(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given reports registered while the mailbox had no processed keyword (nothing marked on
    the server), when the keyword is configured and the mailbox polled, then exactly those
    messages get it, a failed one does not, and the rows say they are marked."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Fråga")), WHEN)
    account.append(bytes(message(headers={"X-Ord": " ".join(["ord"] * 1000)})), WHEN)
    unmarked = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(processed_keyword=""),
        limits={"max_header_bytes": 2000},
    )
    poll(unmarked)
    assert [m.marked_on_server for m in messages(unmarked)] == [False, False, False]
    assert all(b"$CasefileProcessed" not in f for f in account.flags().values())
    report_uid, question_uid, bomb_uid = account.uids()
    marking = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_header_bytes": 2000}
    )

    [result] = poll_all(marking)

    assert result.ok and result.outcomes == []
    flags = account.flags()
    assert b"$CasefileProcessed" in flags[report_uid]
    assert b"$CasefileProcessed" in flags[question_uid]
    assert b"$CasefileProcessed" not in flags[bomb_uid]
    assert [(m.state, m.marked_on_server) for m in messages(marking)] == [
        ("registered", True),
        ("no_report", True),
        ("failed", False),
    ]
    unmarked.engine.dispose()
    marking.engine.dispose()


def test_marks_are_set_in_batches_as_the_pass_goes(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given batch_size 2 and three reports, when polled, then the first two are marked on the
    server and in their rows as soon as the second is done (a crash after it fetches neither
    again), and the third when the pass ends."""
    for data in (DOCX, UNSIGNED, PDF):
        account.append(bytes(message(attachments=[("rapport", data)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings(batch_size=2))
    uids = account.uids()
    seen: list[tuple[list[bool], list[bool]]] = []

    def look() -> bool:
        flags = account.flags()
        on_server = [b"$CasefileProcessed" in flags[uid] for uid in uids]
        seen.append((on_server, [m.marked_on_server for m in messages(app)]))
        return False

    result = poll_mailbox(app, app.settings.mailboxes[0], should_stop=look)

    assert [o.state for o in result.outcomes] == ["registered"] * 3
    assert seen == [
        ([False, False, False], [False]),
        ([True, True, False], [True, True]),
        ([True, True, False], [True, True, False]),
    ]
    assert all(b"$CasefileProcessed" in f for f in account.flags().values())
    assert [m.marked_on_server for m in messages(app)] == [True, True, True]
    app.engine.dispose()


# -- retry: the outcome audited, or one line that says why not ------------------------------


def test_retry_says_in_one_line_why_it_cannot_run(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given an unknown row, a registered one, an over-size one never fetched and one whose
    archived copy is gone, when staff retry them, then each refusal is one line naming the
    row and the cause, and nothing changes."""
    from casefile.register import RegisterError
    from intake.mail.retry import retry_message

    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(body="x" * 150_000)), WHEN)
    account.append(bytes(message(subject="Fråga")), WHEN)
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_message_bytes": 100_000}
    )
    poll(app)
    big, report, question = messages(app)
    assert (big.state, report.state, question.state) == ("failed", "registered", "no_report")
    intake_path = app.archive.path_for(question.raw_sha256)
    intake_path.unlink()

    def refusal(row: int) -> str:
        with pytest.raises(RegisterError) as caught:
            retry_message(app, row)
        return str(caught.value)

    assert refusal(question.id + 100) == f"det finns ingen post {question.id + 100}"
    assert refusal(report.id) == f"post {report.id} är registered; inget att försöka igen"
    assert refusal(big.id) == f"post {big.id} finns inte i arkivet ({big.reason})"
    gone = refusal(question.id)
    assert gone.startswith(f"post {question.id} kan inte läsas ur arkivet: [Errno 2] ")
    assert str(intake_path) in gone
    assert [m.state for m in messages(app)] == ["failed", "registered", "no_report"]
    assert events(app, "message_retried") == []
    app.engine.dispose()


def test_a_retry_that_breaks_is_one_line_and_leaves_the_row_as_it_was(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a quarantined report whose case number is taken meanwhile, when staff retry it,
    then the refusal is one line with the error's kind, the row stays quarantined, and nothing
    is audited; once a retry succeeds, its new state is in the audit log."""
    from casefile.register import RegisterError
    from intake.mail.retry import retry_message

    checked = {
        "Authentication-Results": "mx.finsam.test; dmarc=pass header.from=bollnas.test",
        "Auto-Submitted": "auto-generated",  # an e-service: registered, never answered
    }
    account.append(bytes(message(attachments=[("r.docx", DOCX)], headers=checked)), WHEN)
    trusted = {"trusted_authserv_id": "mx.finsam.test"}
    tight = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        limits={"max_attachment_bytes": 1000},
        mail=trusted,
    )
    poll(tight)
    (msg,) = messages(tight)
    with tight.engine.begin() as conn:
        conn.execute(
            schema.cases.insert().values(number="SFG 26-01", year=2025, serial=1, title="Förra")
        )
    normal = build_app(db_url, tmp_path, account.mailbox_settings(), mail=trusted)

    with pytest.raises(RegisterError) as caught:
        retry_message(normal, msg.id)

    said = str(caught.value)
    prefix = f"post {msg.id} kunde inte köras igen: IntegrityError: "
    assert said.startswith(prefix) and "\n" not in said and "  " not in said
    assert len(said) - len(prefix) == 300  # the database's long message, cut
    assert (
        "(sqlite3.IntegrityError) UNIQUE constraint failed: cases.number [SQL: " in said
        or "(psycopg2.errors.UniqueViolation) duplicate key value violates unique" in said
    )
    (after,) = messages(normal)
    assert after.state == "quarantined" and documents(normal) == []
    assert events(normal, "message_retried") == []
    with normal.engine.begin() as conn:
        conn.execute(schema.cases.delete())
    outcome = retry_message(normal, msg.id)
    assert (outcome.state, outcome.numbers, outcome.message_row) == (
        "registered",
        ["SFG 26-01.01"],
        msg.id,
    )
    [retried] = events(normal, "message_retried")
    assert retried.source_message_id == msg.id and retried.detail == {"state": "registered"}
    assert retried.actor == normal.settings.registry.bot_actor
    (done,) = messages(normal)
    assert done.auth_verdict == "verified"  # the sender judged again from the archived bytes
    assert documents(normal)[0].sender_verdict == "verified"
    pipeline = Pipeline(normal)
    try:
        again = pipeline.retry(msg.id, normal.archive.get(msg.raw_sha256))
    finally:
        pipeline.close()
    # A row someone else retried meanwhile (the state is read again under the lock): as it is.
    assert (again.uid, again.state, again.numbers, again.reason, again.message_row) == (
        msg.uid,
        "registered",
        [],
        "automatiskt brev (auto_submitted): ingen kvittens",
        msg.id,
    )
    assert len(events(normal, "message_retried")) == 1 and len(documents(normal)) == 1
    tight.engine.dispose()
    normal.engine.dispose()


def test_a_retry_under_the_same_header_limit_fails_again_and_says_so(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a message failed for its header size, when retried with the limit unchanged,
    then it is failed again with the same reason, and the audit log has the retry."""
    from intake.mail.retry import retry_message

    account.append(bytes(message(headers={"X-Ord": " ".join(["ord"] * 1000)})), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings(), limits={"max_header_bytes": 2000})
    poll(app)
    (msg,) = messages(app)
    assert msg.state == "failed"
    assert (msg.reason or "").startswith("meddelandets huvud är för stort (")
    assert (msg.reason or "").endswith(" byte, gräns 2000); det lästes inte")

    outcome = retry_message(app, msg.id)

    assert (outcome.state, outcome.reason, outcome.numbers) == ("failed", msg.reason, [])
    assert (outcome.uid, outcome.message_row) == (msg.uid, msg.id)
    (again,) = messages(app)
    assert (again.state, again.reason) == ("failed", msg.reason)
    [retried] = events(app, "message_retried")
    assert retried.source_message_id == msg.id and retried.detail == {"state": "failed"}
    app.engine.dispose()


# -- what a registered report carries from its form ----------------------------------------


def test_a_polled_report_is_stored_as_its_form_says_and_filed_where_it_points(
    intake_app: App, account: Account
) -> None:
    """Given two reports, then each document holds its form's kind, fields, sections, title,
    organisation, signature and findings, and each case the contact and period end; given a
    third whose Diarienummer box names the first case, and a fourth sent as a reply to the
    second case's kvittens, then each is filed into that case, not a new one."""
    from tests.intake.test_sender_trust import variant

    expected = {
        name: json.loads((REPORTS / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("r01_cell_iso_endash", "r04_row_blocksdt_unsigned_nfd")
    }
    account.append(bytes(message(attachments=[("a.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Rapport", attachments=[("b.docx", UNSIGNED)])), WHEN)
    poll(intake_app)

    signed, unsigned = documents(intake_app)
    for doc, name in ((signed, "r01_cell_iso_endash"), (unsigned, "r04_row_blocksdt_unsigned_nfd")):
        form = expected[name]
        # The form's fields, and beside them the signature evidence (issue 29).
        fields = dict(doc.fields)
        status = {"r01_cell_iso_endash": "typed"}.get(name, "none")
        assert fields.pop("signature_status") == status and "signatures" in fields
        del fields["signatures"]
        assert doc.kind == form["document_type"] and fields == form["fields"]
        assert set(form["sections"]) <= set(doc.sections)
        assert doc.title == form["fields"]["title"]
        assert doc.organisation == form["fields"]["organisation"]
        assert [f["code"] for f in doc.findings] == form["finding_codes"]
        assert doc.source_message_id is not None
    assert (signed.subject, unsigned.subject) == ("Slutrapport", "Rapport")
    assert (signed.submitter_signed, unsigned.submitter_signed) == (True, False)
    assert unsigned.findings == [
        {"code": "unsigned", "message": "Avsnitt 8, Uppgiftslämnare, saknar datum och namn."}
    ]
    with intake_app.sessions() as s:
        cases = list(s.scalars(select(Case).order_by(Case.id)))
        kvittens = s.scalars(
            select(OutboxMail.message_id)
            .where(OutboxMail.case_id == cases[1].id)
            .order_by(OutboxMail.id)
        ).first()
    assert kvittens
    assert [(c.contact_name, c.contact_email, c.period_end) for c in cases] == [
        ("Maja Eklind Sjöberg", "Maja.Eklind-Sjoberg@Exempelby.se", dt.date(2024, 12, 31)),
        ("Björn Öhrström", "Bjorn.Ohrstrom@Vastera.se", dt.date(2025, 8, 31)),
    ]
    named = variant(UNSIGNED, {"SFG 24-02.02": "SFG 26-01", "slingan": "stigen"})
    account.append(bytes(message(subject="Komplettering", attachments=[("c.docx", named)])), WHEN)
    reply = variant(UNSIGNED, {"slingan": "vandringen"})
    answer = bytes(message(subject="Sv: Kvittens", attachments=[("d.docx", reply)]))
    # Written as a mail client writes it (the helper would fold the long ID as encoded words).
    threading = f"In-Reply-To: {kvittens}\nReferences: {kvittens}\nSubject: ".encode()
    account.append(answer.replace(b"Subject: ", threading, 1), WHEN)

    poll(intake_app)

    assert [d.diarienummer for d in documents(intake_app)] == [
        "SFG 26-01.01",
        "SFG 26-02.01",
        "SFG 26-01.02",
        "SFG 26-02.02",
    ]
    rows = messages(intake_app)
    assert (rows[3].in_reply_to, rows[3].references) == (kvittens, kvittens)
    with intake_app.sessions() as s:
        answers = {
            m.in_reply_to: m.raw for m in s.scalars(select(OutboxMail).order_by(OutboxMail.id))
        }
    # Each kvittens answers its report's message, in the thread the sender started.
    assert {m.message_id for m in rows} <= set(answers)
    answer = email.message_from_bytes(answers[rows[3].message_id], policy=email.policy.default)
    assert str(answer["References"]).split() == [kvittens, rows[3].message_id]
    assert (rows[0].in_reply_to, rows[0].references) == (None, None)
    assert [m.date_header for m in rows] == ["Tue, 03 Feb 2026 09:00:00 +0000"] * 4
    assert [m.subject for m in rows] == ["Slutrapport", "Rapport", "Komplettering", "Sv: Kvittens"]
    assert {m.sender for m in rows} == {"anna.berg@bollnas.test"}
    with intake_app.sessions() as s:
        stored = {f.sha256: f for f in s.scalars(select(StoredFile))}
    first = stored[rows[0].raw_sha256]
    assert (first.size, first.media_type) == (rows[0].size, "message/rfc822")
    assert first.size == len(intake_app.archive.get(rows[0].raw_sha256))
    docx = stored[hashlib.sha256(DOCX).hexdigest()]
    assert (docx.size, docx.media_type) == (len(DOCX), DOCX_TYPE)


def test_a_database_fault_at_the_end_of_a_pass_is_one_line_and_keeps_the_result(
    intake_app: App, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a report, when the mailbox's health row cannot be written once it is taken (the
    table gone, as in a database fault), then the poll still returns what it did, and the
    operator reads one line naming the mailbox and the cause."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    box = intake_app.settings.mailboxes[0]
    caplog.set_level(logging.ERROR, logger="intake")

    def break_the_table() -> bool:
        with intake_app.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE mailbox_state RENAME TO mailbox_state_away")
        return False

    result = poll_mailbox(intake_app, box, should_stop=break_the_table)

    assert result.ok and [o.state for o in result.outcomes] == ["registered"]
    [line] = [r.getMessage() for r in caplog.records if r.name == "intake"]
    assert line.startswith("brevlåda kontakt: kunde inte spara hämtningens utfall: (")
    assert "mailbox_state" in line
    assert [d.diarienummer for d in documents(intake_app)] == ["SFG 26-01.01"]


def test_a_message_recorded_meanwhile_is_seen_not_recorded_again(
    intake_app: App, account: Account
) -> None:
    """Given a message another poller has recorded (the identity row is there), when this
    poller's pipeline handles it or records it as failed, then both say "seen" with that row,
    and nothing is recorded, registered or audited twice."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll(intake_app)
    (row,) = messages(intake_app)
    ident = Identity("kontakt", "INBOX", row.uidvalidity)
    fetched = FetchedMessage(row.uid, intake_app.archive.get(row.raw_sha256), row.internal_date)
    pipeline = Pipeline(intake_app)
    try:
        # This poller's own start on it is counted first, as poll_mailbox does
        assert pipeline.begin_attempt(ident, row.uid) == 0
        handled = pipeline.handle(ident, fetched)
        failed = pipeline.record_failure(ident, fetched, "ett fel")
    finally:
        pipeline.close()

    for outcome in (handled, failed):
        assert (outcome.uid, outcome.state, outcome.message_row) == (row.uid, "seen", row.id)
        assert (outcome.numbers, outcome.reason) == ([], None)
    assert [(m.id, m.state) for m in messages(intake_app)] == [(row.id, "registered")]
    assert len(documents(intake_app)) == 1 and events(intake_app, "message_failed") == []
    assert mailbox_state(intake_app).last_uid == row.uid
    with intake_app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(MessageAttempt)) == 0


def test_a_stop_request_reaches_the_pass_of_every_mailbox(
    intake_app: App, account: Account
) -> None:
    """Given two reports, when the whole poll is asked to stop (the service shutting down),
    then the mailbox's pass finishes the message in hand and leaves the other waiting."""
    for data in (DOCX, UNSIGNED):
        account.append(bytes(message(attachments=[("rapport", data)])), WHEN)

    [result] = poll_all(intake_app, should_stop=lambda: True)

    assert [o.state for o in result.outcomes] == ["registered"] and result.waiting == 1
    assert mailbox_state(intake_app).waiting == 1


def test_a_report_without_a_title_is_titled_by_its_file_name(
    intake_app: App, account: Account
) -> None:
    """Given a report whose form leaves the name of the insats empty, when polled, then it is
    registered with the attachment's file name as its title, so staff can still tell it."""
    from tests.intake.test_sender_trust import variant

    untitled = variant(DOCX, {"Kärnhuset 2.0": ""})
    account.append(bytes(message(attachments=[("Slutrapport 2025.docx", untitled)])), WHEN)

    poll(intake_app)

    (doc,) = documents(intake_app)
    assert doc.title == "Slutrapport 2025.docx"


def test_a_resend_is_the_same_sender_sending_the_same_file_again(
    intake_app: App, account: Account
) -> None:
    """Given a report, sent again twice by its sender and once by another sender, then both
    resends by the sender link to the first document, and the other sender's copy is a new
    document of its own."""
    for sender in ("Anna Berg <anna.berg@bollnas.test>",) * 3 + ("Bo Ek <bo.ek@vastera.test>",):
        account.append(bytes(message(sender=sender, attachments=[("r.docx", DOCX)])), WHEN)

    poll(intake_app)

    assert [(m.state, m.reason) for m in messages(intake_app)] == [
        ("registered", None),
        ("duplicate", "redan registrerad som SFG 26-01.01"),
        ("duplicate", "redan registrerad som SFG 26-01.01"),
        ("registered", None),
    ]
    assert len(documents(intake_app)) == 2


def test_a_report_resent_after_its_document_was_cancelled_is_registered_anew(
    intake_app: App, account: Account
) -> None:
    """Given a registered report whose document staff cancelled, when the sender sends the
    same file again, then it is a new document, not a link to the cancelled one."""
    from casefile.register import cancel_document

    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll(intake_app)
    with intake_app.sessions() as s, s.begin():
        cancel_document(s, intake_app.settings, "SFG 26-01.01", "fel fil", "handläggare")
    account.append(bytes(message(subject="Rätt nu", attachments=[("r.docx", DOCX)])), WHEN)

    poll(intake_app)

    assert [m.state for m in messages(intake_app)] == ["registered", "registered"]
    assert [(d.diarienummer, d.cancelled) for d in documents(intake_app)] == [
        ("SFG 26-01.01", True),
        ("SFG 26-01.02", False),
    ]


def _uidvalidity(account: Account, folder: str = "INBOX") -> int:
    with account.client() as c:
        return int(c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])


@pytest.mark.parametrize(
    "other",
    [
        {"mailbox": "annan"},
        {"folder": "Rapporter"},
        {"uidvalidity_offset": 1},
    ],
    ids=["another mailbox", "another folder", "an earlier UIDVALIDITY"],
)
def test_leftover_marks_are_for_this_folder_alone(
    db_url: str, tmp_path: Path, account: Account, other: dict[str, object]
) -> None:
    """Given a row left unmarked by a crash, of another mailbox, folder or UIDVALIDITY but with
    the UID of a new message here, when this folder is polled with a processed folder, then the
    new message is not moved away unread: it is registered, and the other row stays unmarked."""
    account.create_folder("Registrerat")
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    [uid] = account.uids()
    app = build_app(db_url, tmp_path, account.mailbox_settings(processed_folder="Registrerat"))
    # A copy: the parameter is shared by every pytest session in this process (mutmut runs two).
    columns = dict(other)
    offset = int(str(columns.pop("uidvalidity_offset", 0)))
    with app.sessions() as s, s.begin():
        stored_message(s, uid, uidvalidity=_uidvalidity(account) - offset, **columns)
    poll(app)
    assert len(documents(app)) == 1
    assert account.uids("INBOX") == [] and len(account.uids("Registrerat")) == 1
    # The crash's row first, then this folder's new message
    crashed, new = messages(app)
    assert (crashed.raw_sha256, crashed.marked_on_server) == ("0" * 64, False)
    assert (new.state, new.marked_on_server) == ("registered", True)


def test_a_message_marked_once_is_not_marked_again(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a registered report whose keyword staff have taken off on the server, when the
    mailbox is polled again, then it is left as staff left it: marking is once, after the
    register has it, and an unchanged mailbox costs no STORE."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    poll(app)
    [uid] = account.uids()
    assert b"$CasefileProcessed" in account.flags()[uid]
    with account.client() as c:
        c.select_folder("INBOX")
        c.remove_flags([uid], [b"$CasefileProcessed"])
    poll(app)
    assert b"$CasefileProcessed" not in account.flags()[uid]
    assert [m.marked_on_server for m in messages(app)] == [True]


def test_a_uidvalidity_change_stores_a_watermark_of_0_before_any_message(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """The stored watermark is 0 as soon as the change is seen, not only when the pass ends:
    a crash before the recreated folder's first message must not skip the message with UID 1."""
    account.create_folder("Rapporter")
    account.append(bytes(message(subject="Hej")), WHEN, folder="Rapporter")
    account.append(bytes(message(subject="Hej igen")), WHEN, folder="Rapporter")
    app = build_app(db_url, tmp_path, account.mailbox_settings(folder="Rapporter"))
    poll(app)
    old = mailbox_state(app)
    assert old.last_uid == 2 and old.uidvalidity is not None
    _reset_watermark(app, app.settings.mailboxes[0], "Rapporter", old.uidvalidity, 7)
    new = mailbox_state(app)
    assert (new.uidvalidity, new.last_uid) == (7, 0)
    app.engine.dispose()


def test_a_resent_report_beside_a_new_one_links_the_old_and_registers_the_new(
    intake_app: App, account: Account
) -> None:
    """Given a report, then a message with the same file again and a new report, when polled,
    then the resent file's row points at the earlier document as a duplicate, and the new
    report after it is registered all the same."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    both = message(
        subject="Igen, och en till", attachments=[("r.docx", DOCX), ("u.docx", UNSIGNED)]
    )
    account.append(bytes(both), WHEN)
    poll(intake_app)
    first, second = messages(intake_app)
    assert (first.state, second.state) == ("registered", "registered")
    old, new = documents(intake_app)
    assert new.source_message_id == second.id
    with intake_app.sessions() as s:
        rows = s.scalars(
            select(Attachment)
            .where(Attachment.source_message_id == second.id)
            .order_by(Attachment.filename)
        ).all()
        assert [(a.filename, a.state, a.document_id) for a in rows] == [
            ("r.docx", "duplicate", old.id),
            ("u.docx", "report", new.id),
        ]
    [again] = events(intake_app, "report_resent")
    assert (again.source_message_id, again.document_id) == (second.id, old.id)


def test_a_third_copy_of_a_message_is_a_duplicate_of_the_first(
    intake_app: App, account: Account
) -> None:
    """Given the same message three times (a mail program that sent it again, twice), then the
    second and third are duplicates that both name the first row."""
    first = bytes(message(attachments=[("r.docx", DOCX)], message_id="<tre@bollnas.test>"))
    for _ in range(3):
        account.append(first, WHEN)
    poll(intake_app)
    one, two, three = messages(intake_app)
    assert [m.state for m in (one, two, three)] == ["registered", "duplicate", "duplicate"]
    assert (two.duplicate_of_id, three.duplicate_of_id) == (one.id, one.id)
    assert len(documents(intake_app)) == 1


def test_what_prepare_reads_follows_the_settings(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given the configured part-header limit, our own address and the listing cap of 200
    files, when polled, then a part with a larger header is left out with a note, our own
    address is automatic mail, and files past the 200th are named only in the reason."""
    fat = message(subject="Fet del")
    fat.add_attachment(b"x", maintype="application", subtype="octet-stream", filename="a.bin")
    fat.get_payload()[-1]["X-Fyllnad"] = "ord " * 600  # a part header over 2000 bytes
    account.append(bytes(fat), WHEN)
    account.append(bytes(message(sender="Kontakt <kontakt@finsam.test>", subject="Eko")), WHEN)
    for count in (200, 201):
        many = message(subject=f"{count} filer")
        for n in range(count):
            many.add_attachment(b"x", maintype="text", subtype="plain", filename=f"{n}.txt")
        account.append(bytes(many), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings(), limits={"max_header_bytes": 2000})
    poll(app)
    assert [(m.state, m.reason) for m in messages(app)] == [
        (
            "no_report",
            "ingen rapport bifogad: en del med för stort huvud (över 2000 byte) lästes inte",
        ),
        ("automatic", "own_address"),
        ("no_report", "ingen rapport bifogad"),
        ("no_report", "ingen rapport bifogad: 1 bilagor till finns bara i originalmeddelandet"),
    ]
    app.engine.dispose()


def test_a_message_of_exactly_the_size_limit_is_taken(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a message of exactly `max_message_bytes` as the server counts it and one a byte
    larger, when polled, then the first is read and the second refused with its reason."""
    for n in (5000, 5001):  # Message-IDs of one length: the sizes differ by the body alone
        account.append(bytes(message(body="x" * n, message_id=f"<lagom{n}@bollnas.test>")), WHEN)
    fits, over = account.uids()
    with account.client() as c:
        c.select_folder("INBOX", readonly=True)
        fetched = c.fetch([fits, over], "RFC822.SIZE")
    sizes = {uid: data[b"RFC822.SIZE"] for uid, data in fetched.items()}
    assert sizes[over] == sizes[fits] + 1
    app = build_app(
        db_url, tmp_path, account.mailbox_settings(), limits={"max_message_bytes": sizes[fits]}
    )

    [result] = poll_all(app)

    assert [(o.uid, o.state) for o in result.outcomes] == [(over, "failed"), (fits, "no_report")]
    assert result.outcomes[0].reason == (
        f"meddelandet är för stort ({sizes[over]} byte, gräns {sizes[fits]})"
    )
    app.engine.dispose()


def test_poll_json_lists_each_message_with_its_state_and_reason(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given a report and a question without one, when `intake poll --once --json` runs, then
    each message is listed with its state, its numbers and the reason staff read in the inbox."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    account.append(bytes(message(subject="Fråga om ansökan")), WHEN)
    report, question = account.uids()
    config = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "smtp": {"transport": "folder", "folder": str(tmp_path / "outbox")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
            "mailboxes": [account.mailbox_settings()],
        },
    )
    upgrade(App.from_config(str(config)).engine)

    out = CliRunner().invoke(cli, ["--config", str(config), "poll", "--once", "--json"])

    assert out.exit_code == 0, out.output
    [box] = json.loads(out.stdout)["mailboxes"]
    assert (box["mailbox"], box["ok"], box["error"]) == ("kontakt", True, None)
    assert box["messages"] == [
        {"uid": report, "state": "registered", "diarienummer": ["SFG 26-01.01"], "reason": None},
        {
            "uid": question,
            "state": "no_report",
            "diarienummer": [],
            "reason": "ingen rapport bifogad",
        },
    ]


def test_the_log_line_of_a_message_lists_every_number_it_got(
    intake_app: App, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Given one message with the reports of two insatser, when polled, then the operator's
    log line for it names both numbers, comma-separated, as scripts that read the log expect."""
    other = (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()
    account.append(bytes(message(attachments=[("a.docx", DOCX), ("b.docx", other)])), WHEN)
    [uid] = account.uids()
    caplog.set_level(logging.INFO, logger="intake")

    poll(intake_app)

    assert [d.diarienummer for d in documents(intake_app)] == ["SFG 26-01.01", "SFG 26-02.01"]
    said = [r.getMessage() for r in caplog.records if "utfall=" in r.getMessage()]
    assert said == [
        f"brevlåda=kontakt uid={uid} utfall=registered diarienummer=SFG 26-01.01,SFG 26-02.01"
    ]


def test_a_message_another_poller_records_first_is_seen_when_the_insert_collides(
    intake_app: App, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given another poller that records the same message between this poller's look-up and
    its insert (the look-up made to miss once, as in that race), when this one handles it,
    then the identity's unique key refuses the second row and the outcome is "seen" with the
    other poller's row: nothing is registered or failed twice."""
    import intake.mail.pipeline as pipeline_module

    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    poll(intake_app)
    (row,) = messages(intake_app)
    looked_up = pipeline_module._recorded
    misses = [True]

    def racing(session: object, ident: Identity, uid: int) -> int | None:
        return None if misses and misses.pop() else looked_up(session, ident, uid)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline_module, "_recorded", racing)
    ident = Identity("kontakt", "INBOX", row.uidvalidity)
    fetched = FetchedMessage(row.uid, intake_app.archive.get(row.raw_sha256), row.internal_date)
    pipeline = Pipeline(intake_app)
    try:
        outcome = pipeline.handle(ident, fetched)
    finally:
        pipeline.close()

    assert misses == []
    assert (outcome.uid, outcome.state, outcome.message_row) == (row.uid, "seen", row.id)
    assert [(m.id, m.state) for m in messages(intake_app)] == [(row.id, "registered")]
    assert len(documents(intake_app)) == 1 and events(intake_app, "message_failed") == []


def test_a_pipeline_on_its_own_starts_the_watermark_and_clears_only_its_own_attempts(
    intake_app: App, account: Account
) -> None:
    """Given no poll before it, and unfinished starts on the same UID in another folder and
    under an earlier UIDVALIDITY, when the pipeline handles a report, then it starts the
    mailbox's watermark at that UID and clears only this message's start marker."""
    account.append(bytes(message(attachments=[("r.docx", DOCX)])), WHEN)
    [uid] = account.uids()
    uidvalidity = _uidvalidity(account)
    with account.client() as c:
        c.select_folder("INBOX", readonly=True)
        raw = c.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    ident = Identity("kontakt", "INBOX", uidvalidity)
    others = [Identity("kontakt", "Arkiv", uidvalidity), Identity("kontakt", "INBOX", 1)]
    pipeline = Pipeline(intake_app)
    try:
        for other in [*others, ident]:
            assert pipeline.begin_attempt(other, uid) == 0
        outcome = pipeline.handle(ident, FetchedMessage(uid, raw, WHEN))
    finally:
        pipeline.close()

    assert (outcome.state, outcome.numbers) == ("registered", ["SFG 26-01.01"])
    state = mailbox_state(intake_app)
    assert (state.mailbox, state.folder, state.uidvalidity, state.last_uid) == (
        "kontakt",
        "INBOX",
        uidvalidity,
        uid,
    )
    with intake_app.sessions() as s:
        left = s.execute(select(MessageAttempt.folder, MessageAttempt.uidvalidity)).all()
    assert sorted(left) == [("Arkiv", uidvalidity), ("INBOX", 1)]
