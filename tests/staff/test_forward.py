"""A report an officer forwards to kontakt@ is registered for its original sender."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, Event, OutboxMail
from intake.mail.forward import find_original, inline_header_block, is_staff_address
from intake.mail.forward import parse_header_date as header_date
from tests.staff.conftest import at, poll, report
from tests.support.dovecot import Account
from tests.support.mail import message

ZONE = ZoneInfo("Europe/Stockholm")
DOCX = report("r01_cell_iso_endash.docx")


def registered(app: App) -> tuple[Document, list[OutboxMail], list[Event]]:
    with app.sessions() as s:
        doc = s.scalars(select(Document)).one()
        mail = list(s.scalars(select(OutboxMail).where(OutboxMail.document_id == doc.id)))
        log = list(s.scalars(select(Event).where(Event.document_id == doc.id)))
        s.expunge_all()
    return doc, mail, log


def test_forward_as_attachment_is_registered_for_the_original_sender(
    intake_app: App, account: Account
) -> None:
    """Given Anna's report of 28 January that officer Bo forwards as an attachment on 3 February,
    when polled, then the document is Anna's, of 28 January, acknowledged to Anna, and Bo is the
    officer in the log."""
    original = message(
        attachments=[("slutrapport.docx", DOCX)],
        date=dt.datetime(2026, 1, 28, 8, 30, tzinfo=dt.UTC),
    )
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>", subject="VB: Slutrapport", body="Se bifogat."
    )
    outer.add_attachment(original)
    account.append(bytes(outer), at(3))
    poll(intake_app)
    doc, mail, log = registered(intake_app)
    assert doc.sender == "anna.berg@bollnas.test"
    assert doc.received_date == dt.date(2026, 1, 28)
    assert doc.registered_by == "bo.ek@finsam.test"
    (kvittens,) = [m for m in mail if m.kind == "kvittens"]
    assert kvittens.recipient == "anna.berg@bollnas.test"
    assert b"2026-01-28" in kvittens.raw
    (forward,) = [e for e in log if e.action == "forwarded_by_staff"]
    assert forward.actor == "bo.ek@finsam.test"
    assert forward.detail["sender"] == "anna.berg@bollnas.test"


@pytest.mark.parametrize(
    ("block", "arrived"),
    [
        (
            "-----Ursprungligt meddelande-----\nFrån: Anna Berg <anna.berg@bollnas.test>\n"
            "Skickat: den 29 januari 2026 23:40\nTill: Bo Ek <bo.ek@finsam.test>\n"
            "Ämne: Slutrapport Kärnhuset\n",
            dt.date(2026, 1, 29),
        ),
        (
            "---------- Forwarded message ---------\nFrom: Anna Berg <anna.berg@bollnas.test>\n"
            "Date: Fri, Jan 30, 2026 at 4:05 PM\nSubject: Slutrapport\nTo: <bo.ek@finsam.test>\n",
            dt.date(2026, 1, 30),
        ),
    ],
)
def test_inline_forward_from_outlook_and_gmail(
    intake_app: App, account: Account, block: str, arrived: dt.date
) -> None:
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject="VB: Slutrapport",
        body=f"Hej, den här kom till mig.\n\n{block}\nHej! Här är vår slutrapport.",
        attachments=[("slutrapport.docx", DOCX)],
    )
    account.append(bytes(outer), at(3))
    poll(intake_app)
    doc, mail, log = registered(intake_app)
    assert (doc.sender, doc.received_date) == ("anna.berg@bollnas.test", arrived)
    assert {m.recipient for m in mail if m.kind == "kvittens"} == {"anna.berg@bollnas.test"}
    assert any(e.action == "forwarded_by_staff" and e.actor == "bo.ek@finsam.test" for e in log)


def test_mail_from_outside_is_not_taken_for_a_forward(intake_app: App, account: Account) -> None:
    body = "Från: Någon <x@y.test>\nSkickat: den 1 januari 2026 10:00\n"
    account.append(bytes(message(body=body, attachments=[("r.docx", DOCX)])), at(3))
    poll(intake_app)
    doc, _mail, _log = registered(intake_app)
    assert (doc.sender, doc.received_date) == ("anna.berg@bollnas.test", dt.date(2026, 2, 3))
    assert doc.registered_by is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("den 3 februari 2026 09:15", "2026-02-03T09:15:00+01:00"),
        ("tisdag 3 februari 2026 09:15", "2026-02-03T09:15:00+01:00"),
        ("Tuesday, February 3, 2026 9:15 AM", "2026-02-03T09:15:00+01:00"),
        ("Tue, Feb 3, 2026 at 9:15 PM", "2026-02-03T21:15:00+01:00"),
        ("tis 3 feb. 2026 kl. 09:15", "2026-02-03T09:15:00+01:00"),
        ("Tue, 3 Feb 2026 09:15:00 +0000", "2026-02-03T09:15:00+00:00"),
        ("2026-02-03 23:59", "2026-02-03T23:59:00+01:00"),
        ("3 juli 2026 12:00", "2026-07-03T12:00:00+02:00"),
    ],
)
def test_header_dates_of_mail_programs(text: str, expected: str) -> None:
    parsed = header_date(text, ZONE)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize("text", ["igår", "", "Februari", "32 januari 2026"])
def test_unreadable_header_dates_are_none(text: str) -> None:
    assert header_date(text, ZONE) is None


def test_thunderbird_block_with_the_date_before_the_sender() -> None:
    text = (
        "Se nedan.\n\n-------- Vidarebefordrat meddelande --------\nÄmne: \tRapport\n"
        "Datum: \tTue, 3 Feb 2026 09:15:00 +0100\n"
        "Från: \tAnna Berg <anna.berg@bollnas.test>\nTill: \tkontakt@finsam.test\n\nHej!"
    )
    block = inline_header_block(text)
    assert block is not None
    assert block["from"] == "Anna Berg <anna.berg@bollnas.test>"
    assert block["date"] == "Tue, 3 Feb 2026 09:15:00 +0100" and block["subject"] == "Rapport"


def test_quoted_block_and_no_block() -> None:
    quoted = "> Från: Anna Berg <anna.berg@bollnas.test>\n> Datum: 2026-02-03 09:15\n"
    block = inline_header_block(quoted)
    assert block == {"from": "Anna Berg <anna.berg@bollnas.test>", "date": "2026-02-03 09:15"}
    assert inline_header_block("Från: Anna\n\nHej, vi hörs.") is None


def test_outlook_block_with_only_a_name_gives_no_address() -> None:
    msg = EmailMessage()
    msg["From"] = "bo.ek@finsam.test"
    msg.set_content("Från: Anna Berg\nSkickat: den 3 februari 2026 09:15\n")
    original = find_original(bytes(msg), ZONE)
    assert original is not None and original.sender is None and original.sender_name == "Anna Berg"


def test_staff_addresses_and_domains() -> None:
    staff = ["finsam.test", "registrator@kommun.test"]
    assert is_staff_address("Bo.Ek@Finsam.test", staff)
    assert is_staff_address("registrator@kommun.test", staff)
    assert not is_staff_address("annan@kommun.test", staff)
    assert not is_staff_address("bo@sub.finsam.test.evil", staff)
    assert not is_staff_address(None, staff)
    assert is_staff_address("a@forbund.se", ["@forbund.se"])
