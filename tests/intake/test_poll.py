"""Polling a real Dovecot: every message exactly once, reports registered, nothing lost."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casefile.app import App
from casefile.db.models import Attachment, Document, MailboxState, OutboxMail, SourceMessage
from casefile.queries import inbox_json
from intake.mail.poll import poll_all, poll_mailbox
from tests.intake.conftest import build_app
from tests.support.dovecot import Account, DovecotServer
from tests.support.mail import REPORTS, forwarded, message

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
PDF = (REPORTS / "r01_cell_iso_endash.pdf").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()


def documents(app: App) -> list[Document]:
    with app.sessions() as s:
        return list(s.scalars(select(Document).order_by(Document.id)))


def messages(app: App) -> list[SourceMessage]:
    with app.sessions() as s:
        return list(s.scalars(select(SourceMessage).order_by(SourceMessage.id)))


def poll(app: App) -> None:
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]


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
