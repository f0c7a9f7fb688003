"""A report an officer forwards to kontakt@ is registered for its original sender."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from dataclasses import replace
from email.message import EmailMessage, Message
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.config import ConfigError, settings_from_dict
from casefile.db.models import Document, Event, OutboxMail
from intake.mail.forward import (
    Original,
    StaffForward,
    find_original,
    inline_header_block,
    is_staff_address,
    staff_forward,
)
from intake.mail.forward import parse_header_date as header_date
from intake.mail.mime import body_text, html_to_text, parse_message
from tests.register.factories import stored_message
from tests.register.readback import document_by_number, events_of, register_report
from tests.staff.conftest import STAFF_VERIFIED, at, poll, report, run
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
    verified by our server, when polled, then the document is Anna's, acknowledged to Anna, of
    3 February (the forward's arrival: the attached dates are text Bo sent), the 28 January is
    kept in the log, and Bo is the officer in the log."""
    original = message(
        attachments=[("slutrapport.docx", DOCX)],
        date=dt.datetime(2026, 1, 28, 8, 30, tzinfo=dt.UTC),
    )
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject="VB: Slutrapport",
        body="Se bifogat.",
        headers=STAFF_VERIFIED,
    )
    outer.add_attachment(original)
    account.append(bytes(outer), at(3))
    poll(intake_app)
    doc, mail, log = registered(intake_app)
    assert doc.sender == "anna.berg@bollnas.test"
    assert doc.received_date == dt.date(2026, 2, 3)
    assert doc.registered_by == "bo.ek@finsam.test"
    (kvittens,) = [m for m in mail if m.kind == "kvittens"]
    assert kvittens.recipient == "anna.berg@bollnas.test"
    assert b"2026-02-03" in kvittens.raw and b"2026-01-28" not in kvittens.raw
    (forward,) = [e for e in log if e.action == "forwarded_by_staff"]
    assert forward.actor == "bo.ek@finsam.test"
    assert forward.detail["sender"] == "anna.berg@bollnas.test"
    assert forward.detail["original_date"] == "2026-01-28T08:30:00+00:00"


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
        headers=STAFF_VERIFIED,
    )
    account.append(bytes(outer), at(3))
    poll(intake_app)
    doc, mail, log = registered(intake_app)
    # The ankomstdatum is the forward's; the quoted date is kept as information
    assert (doc.sender, doc.received_date) == ("anna.berg@bollnas.test", dt.date(2026, 2, 3))
    assert {m.recipient for m in mail if m.kind == "kvittens"} == {"anna.berg@bollnas.test"}
    [forward] = [e for e in log if e.action == "forwarded_by_staff"]
    assert forward.actor == "bo.ek@finsam.test"
    assert str(forward.detail["original_date"]).startswith(arrived.isoformat())
    assert forward.source_message_id == doc.source_message_id is not None


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
        ("12:30 AM 3 feb 2026", "2026-02-03T00:30:00+01:00"),
        ("12:30 PM 3 feb 2026", "2026-02-03T12:30:00+01:00"),
        ("3 feb 2026 kl 12.30 fm", "2026-02-03T00:30:00+01:00"),
        ("3 feb 2026 11:05 em", "2026-02-03T23:05:00+01:00"),
        ("1 dec 2026 12:00 am", "2026-12-01T00:00:00+01:00"),
        ("3 FEB 2026 9:05:07", "2026-02-03T09:05:07+01:00"),
        ("3 maj 1999 07:08:09", "1999-05-03T07:08:09+02:00"),
        ("den 3 februari 2026", "2026-02-03T00:00:00+01:00"),
        ("9:15 3 feb 2026", "2026-02-03T09:15:00+01:00"),
        ("31 jan 2026 10:00", "2026-01-31T10:00:00+01:00"),
        ("3 feb 2026 23:59:59", "2026-02-03T23:59:59+01:00"),
        # A time that cannot be is left out, the day is kept
        ("3 feb 2026 25:61", "2026-02-03T00:00:00+01:00"),
        ("3 feb 2026 23:59:60", "2026-02-03T00:00:00+01:00"),
        ("3 feb 2026 24:00", "2026-02-03T00:00:00+01:00"),
        ("3 feb 2026 10:60", "2026-02-03T00:00:00+01:00"),
        # The day is the first number of 1 to 31 besides the year
        ("feb 2026 32 3", "2026-02-03T00:00:00+01:00"),
        # A written offset wins over the registry's zone, also with a colon or minutes
        ("2026-02-03 09:15 -0530", "2026-02-03T09:15:00-05:30"),
        ("2026-02-03 09:15 +01:30", "2026-02-03T09:15:00+01:30"),
        ("Mon, 3 Feb 2026 10:00:00 -0000", "2026-02-03T10:00:00+00:00"),
        # A named zone, and an offset followed by a comment, as in Date and Received lines
        ("Tue, 3 Feb 2026 09:15:00 GMT", "2026-02-03T09:15:00+00:00"),
        ("Tue, 3 Feb 2026 08:15:00 +0000 (UTC)", "2026-02-03T08:15:00+00:00"),
    ],
)
def test_header_dates_of_mail_programs(text: str, expected: str) -> None:
    parsed = header_date(text, ZONE)
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize(
    "text", ["igår", "", "Februari", "32 januari 2026", "2026-13-03", "0 feb 2026", "3 feb"]
)
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
    staff = ["registrator@kommun.test"]
    domains = ["finsam.test"]
    assert is_staff_address("Bo.Ek@Finsam.test", staff, domains)
    assert is_staff_address("registrator@kommun.test", staff, domains)
    assert not is_staff_address("annan@kommun.test", staff, domains)
    assert not is_staff_address("bo@sub.finsam.test.evil", staff, domains)
    assert not is_staff_address(None, staff, domains)
    assert is_staff_address("a@forbund.se", [], ["@forbund.se"])
    # A bare domain among the addresses speaks for no one: only staff_domains does
    assert not is_staff_address("a@forbund.se", ["forbund.se", "@forbund.se"])


def test_html_is_made_plain_text_line_by_line() -> None:
    markup = (
        "<html><head><title>T</title></head><body><style>p{}</style><script>x()</script>"
        "<p>Från: Anna &lt;a@b.test&gt;</p><DIV>Skickat:&nbsp;den 3 feb</DIV>A<br>B<br/>C<BR />D"
        "<h2>Rubrik</h2><ul><li>ett</li><li>två</li></ul><table><tr><td>x</td><td>y</td></tr>"
        "</table><SCRIPT type='x'>\nhemligt()\n</SCRIPT></body></html>"
    )
    assert html_to_text(markup) == (
        "Från: Anna <a@b.test>\nSkickat: den 3 feb\nA\nB\nC\nD Rubrik\nett\ntvå\nx y"
    )


def test_an_outlook_forward_in_html_only_names_the_original() -> None:
    """Given Bo's forward as Outlook writes it, in HTML only, then the original sender, date
    and subject are read from the quoted block."""
    msg = EmailMessage()
    msg["From"] = "Bo Ek <bo.ek@finsam.test>"
    msg["Subject"] = "VB: Slutrapport"
    msg.set_content(
        "<p>Hej!</p><hr><p><b>Från:</b> Anna Berg &lt;anna.berg@bollnas.test&gt;<br>"
        "<b>Skickat:</b> den 29 januari 2026 23:40<br><b>Till:</b> Bo Ek<br>"
        "<b>Ämne:</b> Slutrapport Kärnhuset</p><p>Här är rapporten.</p>",
        subtype="html",
    )
    original = find_original(bytes(msg), ZONE)
    assert original is not None
    assert (original.sender, original.sender_name) == ("anna.berg@bollnas.test", "Anna Berg")
    assert original.sent_at is not None
    assert original.sent_at.isoformat() == "2026-01-29T23:40:00+01:00"
    assert (original.subject, original.message_id, original.shape) == (
        "Slutrapport Kärnhuset",
        None,
        "inline",
    )


def test_the_plain_text_is_read_before_the_html_and_attachments_are_not_text() -> None:
    msg = EmailMessage()
    msg["From"] = "bo.ek@finsam.test"
    msg.set_content("Från: Anna Berg <anna.berg@bollnas.test>\nSkickat: 2026-02-03 09:15\n")
    msg.add_alternative(
        "<p>Från: Fel &lt;fel@x.test&gt;<br>Skickat: 2026-02-04 10:00</p>", subtype="html"
    )
    msg.add_attachment(
        "Från: Bilaga <bilaga@x.test>\nSkickat: 2026-02-05 10:00\n", filename="a.txt"
    )
    original = find_original(bytes(msg), ZONE)
    assert original is not None and original.sender == "anna.berg@bollnas.test"


def test_a_blank_plain_text_gives_way_to_the_html() -> None:
    msg = EmailMessage()
    msg["From"] = "bo.ek@finsam.test"
    msg.set_content("  \n")
    msg.add_alternative(
        "<p>From: Anna Berg &lt;anna.berg@bollnas.test&gt;<br>Date: 2026-02-03 09:15</p>",
        subtype="html",
    )
    original = find_original(bytes(msg), ZONE)
    assert original is not None and original.sender == "anna.berg@bollnas.test"


def test_an_attached_original_gives_its_arrival_subject_and_message_id() -> None:
    """The newest Received line says when it reached the office; without one, its Date."""
    inner = message(date=dt.datetime(2026, 1, 27, 8, 0, tzinfo=dt.UTC))
    inner["Received"] = "from mx.bollnas.test by mx.finsam.test; Wed, 28 Jan 2026 09:30:00 +0100"
    inner["Received"] = "from a by b; Tue, 27 Jan 2026 10:00:00 +0100"
    outer = message(sender="Bo Ek <bo.ek@finsam.test>", subject="VB: Slutrapport")
    outer.add_attachment(inner)
    original = find_original(bytes(outer), ZONE)
    assert original is not None
    assert (original.sender, original.sender_name, original.shape) == (
        "anna.berg@bollnas.test",
        "Anna Berg",
        "attached",
    )
    assert original.sent_at is not None
    assert original.sent_at.isoformat() == "2026-01-28T09:30:00+01:00"
    assert original.subject == "Slutrapport" and original.message_id == inner["Message-ID"]
    # Given a Received line without a readable date, then the Date counts
    del inner["Received"]
    inner["Received"] = "from mx.bollnas.test by mx.finsam.test"
    outer = message(sender="Bo Ek <bo.ek@finsam.test>")
    outer.add_attachment(inner)
    again = find_original(bytes(outer), ZONE)
    assert again is not None and again.sent_at is not None
    assert again.sent_at.isoformat() == "2026-01-27T08:00:00+00:00"


def test_an_attached_message_without_a_sender_falls_back_to_the_text() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Utan avsändare"
    inner.set_content("Hej")
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        body="Från: Anna Berg <anna.berg@bollnas.test>\nSkickat: 2026-02-03 09:15\n",
    )
    outer.add_attachment(inner)
    original = find_original(bytes(outer), ZONE)
    assert original is not None and original.shape == "inline"
    assert original.sender == "anna.berg@bollnas.test"
    assert find_original(bytes(message(body="Hej, inget vidarebefordrat.")), ZONE) is None


@pytest.mark.parametrize(
    ("line", "name", "address"),
    [
        ("Anna Berg <anna.berg@bollnas.test>", "Anna Berg", "anna.berg@bollnas.test"),
        ('"Berg, Anna" <anna.berg@bollnas.test>', "Berg, Anna", "anna.berg@bollnas.test"),
        ("Anna Berg [mailto:anna.berg@bollnas.test]", "Anna Berg", "anna.berg@bollnas.test"),
        ("Anna Berg <mailto:anna.berg@bollnas.test>", "Anna Berg", "anna.berg@bollnas.test"),
        ("anna.o'berg+rapport@bollnas.test", "", "anna.o'berg+rapport@bollnas.test"),
        ("anna.berg@bollnas.test (Anna Berg)", "Anna Berg", "anna.berg@bollnas.test"),
        ("Anna Berg (anna.berg@bollnas.test)", "Anna Berg", "anna.berg@bollnas.test"),
        ("Xenia Berg [mailto:xenia.berg@bollnas.test]", "Xenia Berg", "xenia.berg@bollnas.test"),
        ("Anna Berg", "Anna Berg", None),
    ],
)
def test_the_sender_line_of_a_block(line: str, name: str, address: str | None) -> None:
    original = find_original(
        bytes(message(sender="bo.ek@finsam.test", body=f"Från: {line}\nDatum: 2026-02-03\n")),
        ZONE,
    )
    assert original is not None and (original.sender_name, original.sender) == (name, address)


def test_a_block_is_the_run_of_labelled_lines_around_the_sender() -> None:
    # Up to six lines above the sender line and seven below it count; the quoted text ends it
    above = "".join(f"Till: t{n}@x.test\n" for n in range(6))
    text = f"Ämne: för långt upp\n{above}Från: Anna <a@b.test>\nDatum: 2026-02-03\n"
    block = inline_header_block(text)
    assert block is not None and "subject" not in block and block["to"] == "t0@x.test"
    below = "".join(f"Kopia: k{n}@x.test\n" for n in range(6))
    assert inline_header_block(f"Från: A <a@b.test>\n{below}Datum: 2026-02-03\n") == {
        "from": "A <a@b.test>",
        "to": "k0@x.test",
        "date": "2026-02-03",
    }
    assert inline_header_block(f"Från: A <a@b.test>\n{below}Kopia: x\nDatum: 2026-02-03\n") is None
    ended = "Från: A <a@b.test>\nHej, här är texten.\nDatum: 2026-02-03\n"
    assert inline_header_block(ended) is None
    # Blank and quote-only lines do not end it; a later block with a date is found
    spaced = "Från: A <a@b.test>\n\n>\nSkickat: 2026-02-03\n"
    assert inline_header_block(spaced) == {"from": "A <a@b.test>", "date": "2026-02-03"}
    later = "Från: ingen datumrad\n\nText.\n\n**From**: B <b@c.test>\n**Sent**: 2026-02-04\n"
    assert inline_header_block(later) == {"from": "B <b@c.test>", "date": "2026-02-04"}
    assert inline_header_block("Von: C <c@d.test>\nDATUM: 2026-02-05") == {
        "from": "C <c@d.test>",
        "date": "2026-02-05",
    }


def test_staff_entries_are_trimmed_and_blank_ones_ignored() -> None:
    staff = ["  ", " Registrator@Kommun.test "]
    domains = ["", "@Finsam.test"]
    assert is_staff_address(" Bo@FINSAM.test ", staff, domains)
    assert is_staff_address("registrator@kommun.test", staff, domains)
    assert not is_staff_address("finsam.test", staff, domains)
    assert not is_staff_address("bo@kommun.test", staff, domains)
    assert not is_staff_address("", staff, domains)
    assert not is_staff_address("a@x.test", [""], [" "])
    # The domain is what follows the last @: a quoted local part may hold one too
    assert is_staff_address('"bo@hemma"@finsam.test', staff, domains)
    assert not is_staff_address('"bo@finsam.test"@evil.test', staff, domains)


def _parsed(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_text_in_an_unknown_charset_is_read_as_utf8_with_bad_bytes_replaced() -> None:
    """Given a forward whose text/plain names a charset Python does not know, then its bytes are
    read as UTF-8, a byte that is not UTF-8 becomes U+FFFD, and the block is still found."""
    raw = (
        b'From: bo.ek@finsam.test\nMIME-Version: 1.0\nContent-Type: text/plain; charset="x-okand"\n'
        b"Content-Transfer-Encoding: 8bit\n\n"
        + "Från: Åsa Öberg <asa.oberg@bollnas.test>\nSkickat: 2026-02-03 09:15\n".encode()
        + b"Hej \xff\n"
    )
    assert body_text(_parsed(raw)) == (
        "Från: Åsa Öberg <asa.oberg@bollnas.test>\nSkickat: 2026-02-03 09:15\nHej \ufffd\n"
    )
    original = find_original(raw, ZONE)
    assert original is not None
    assert (original.sender, original.sender_name) == ("asa.oberg@bollnas.test", "Åsa Öberg")


def test_only_the_messages_own_text_and_html_parts_are_its_text() -> None:
    """Given a text file attached before the HTML body and a calendar part between them, then
    the text is the HTML's; neither the attachment nor the calendar part counts."""
    raw = (
        'From: bo.ek@finsam.test\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="g"\n'
        '\n--g\nContent-Type: text/plain; charset="utf-8"\n'
        'Content-Disposition: attachment; filename="gammal.txt"\n\n'
        "Från: Fel <fel@x.test>\nSkickat: 2026-02-05 10:00\n"
        '--g\nContent-Type: text/calendar; charset="utf-8"\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n'
        '--g\nContent-Type: text/html; charset="utf-8"\n\n'
        "<p>Från: Anna Berg &lt;anna.berg@bollnas.test&gt;<br>Skickat: 2026-02-03 09:15</p>\n"
        "--g--\n"
    ).encode()
    assert body_text(_parsed(raw)) == (
        "Från: Anna Berg <anna.berg@bollnas.test>\nSkickat: 2026-02-03 09:15"
    )
    invitation = b"Content-Type: text/calendar\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"
    assert body_text(_parsed(invitation)) == ""


def test_an_attached_messages_text_is_not_the_forwards_text() -> None:
    outer = EmailMessage()
    outer["From"] = "bo.ek@finsam.test"
    outer.set_content("<p>Se bifogat.</p>", subtype="html")
    outer.add_attachment(message(body="Från: Fel <fel@x.test>\nSkickat: 2026-02-05 10:00"))
    assert body_text(_parsed(bytes(outer))) == "Se bifogat."


def test_a_message_without_text_has_empty_text_and_a_blank_text_is_kept() -> None:
    only_a_file = EmailMessage()
    only_a_file.set_content(b"%PDF-1.4", maintype="application", subtype="pdf", filename="r.pdf")
    assert body_text(_parsed(bytes(only_a_file))) == ""
    blank = EmailMessage()
    blank.set_content("  \n")
    assert body_text(_parsed(bytes(blank))) == "  \n"


def test_labels_that_are_not_header_names_are_passed_over() -> None:
    text = "Obs: se nedan\n\nFrån: A <a@b.test>\nPrioritet: Hög\nDatum: 2026-02-03\n"
    assert inline_header_block(text) == {"from": "A <a@b.test>", "date": "2026-02-03"}


def test_the_block_reaches_up_to_the_first_line_but_not_past_text() -> None:
    # A line of text above the block ends it upwards, even with labelled lines further up
    text = "Text\nÄmne: fel\nText.\nTill: x@y.test\nFrån: A <a@b.test>\nDatum: 2026-02-03\n"
    assert inline_header_block(text) == {
        "to": "x@y.test",
        "from": "A <a@b.test>",
        "date": "2026-02-03",
    }
    # A block that starts on the very first line is read from it
    assert inline_header_block("Datum: 2026-02-03\nFrån: A <a@b.test>") == {
        "date": "2026-02-03",
        "from": "A <a@b.test>",
    }
    # A line of a single letter below the sender is text, and ends the block
    assert inline_header_block("Från: A <a@b.test>\nX\nDatum: 2026-02-03\n") is None


def test_an_attached_original_is_found_after_a_plain_and_html_body_with_its_name_decoded() -> None:
    """Given an original with a non-ASCII name and neither subject nor Message-ID, attached to a
    forward written in both plain text and HTML, then it is found, its name decoded, and its
    subject and message id are None."""
    inner = EmailMessage()
    inner["From"] = "Åsa Öberg <asa.oberg@bollnas.test>"
    inner["Date"] = "Tue, 27 Jan 2026 10:00:00 +0100"
    inner.set_content("Hej! Här är rapporten.")
    outer = message(sender="Bo Ek <bo.ek@finsam.test>", subject="VB:", body="Se bifogat.")
    outer.add_alternative("<p>Se bifogat.</p>", subtype="html")
    outer.add_attachment(inner)
    original = find_original(bytes(outer), ZONE)
    assert original == Original(
        sender="asa.oberg@bollnas.test",
        sender_name="Åsa Öberg",
        sent_at=dt.datetime(2026, 1, 27, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        subject=None,
        message_id=None,
        shape="attached",
    )


def test_the_arrival_is_read_after_the_last_semicolon_and_in_the_registry_zone() -> None:
    """A Received line's date follows its last ';' (a comment may hold one); without a zone it
    is the registry's. A Date the standard library cannot read is read like a block's date."""
    inner = message()
    inner["Received"] = (
        "from mx1.bollnas.test ([192.0.2.7]; 2 hops) by mx.finsam.test with ESMTP id 12;"
        " Wed, 28 Jan 2026 09:30:00"
    )
    outer = message(sender="Bo Ek <bo.ek@finsam.test>")
    outer.add_attachment(inner)
    original = find_original(bytes(outer), ZONE)
    assert original is not None and original.sent_at is not None
    assert original.sent_at.isoformat() == "2026-01-28T09:30:00+01:00"
    undated = b"From: anna.berg@bollnas.test\nDate: den 27 januari 2026 10:00\n\nHej\n"
    outer = message(sender="Bo Ek <bo.ek@finsam.test>")
    outer.add_attachment(email.message_from_bytes(undated))
    original = find_original(bytes(outer), ZONE)
    assert original is not None and original.sent_at is not None
    assert original.sent_at.isoformat() == "2026-01-27T10:00:00+01:00"


# --- staff_forward and StaffForward.record, called directly. ---

STAFF_SETTINGS = settings_from_dict({"registry": {"staff_domains": ["finsam.test"]}})
FORWARD_ARRIVED = dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC)


def forwarded(outer: EmailMessage, verdict: str = "verified") -> StaffForward | None:
    raw = bytes(outer)
    return staff_forward(STAFF_SETTINGS, lambda: raw, parse_message(raw), FORWARD_ARRIVED, verdict)


def test_a_staff_forward_is_the_message_as_the_original_sender_sent_it() -> None:
    """Given Bo's forward (itself a reply) of Anna's report attached whole, then the message is
    Anna's: her address, name, Message-ID and subject, no reply headers; the arrival is the
    forward's, her date only information."""
    inner = message(
        date=dt.datetime(2026, 1, 28, 8, 30, tzinfo=dt.UTC), message_id="<r1@bollnas.test>"
    )
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject="VB: Slutrapport",
        message_id="<vb1@finsam.test>",
        headers={"In-Reply-To": "<q1@finsam.test>", "References": "<q1@finsam.test>"},
    )
    outer.add_attachment(inner)
    fwd = forwarded(outer)
    assert fwd is not None
    assert (fwd.officer, fwd.original.shape) == ("bo.ek@finsam.test", "attached")
    assert fwd.received_at == FORWARD_ARRIVED
    assert fwd.original.sent_at == dt.datetime(2026, 1, 28, 8, 30, tzinfo=dt.UTC)
    p = fwd.parsed
    assert (p.from_address, p.from_name, p.message_id, p.in_reply_to, p.references) == (
        "anna.berg@bollnas.test",
        "Anna Berg",
        "<r1@bollnas.test>",
        None,
        None,
    )
    assert p.subject == "Slutrapport"


def inline_forward(block: str) -> EmailMessage:
    return message(sender="Bo Ek <bo.ek@finsam.test>", subject="VB: Rapport", body=block)


def test_a_staff_forward_without_a_usable_date_or_subject_keeps_the_forwards() -> None:
    """An unreadable date, or one after the forward reached us, gives the forward's arrival;
    a block without a subject keeps the forward's subject."""
    for date in ("igår", "2026-02-04 10:00"):
        fwd = forwarded(inline_forward(f"Från: Anna <anna@bollnas.test>\nSkickat: {date}\n"))
        assert fwd is not None
        assert fwd.received_at == FORWARD_ARRIVED and fwd.parsed.subject == "VB: Rapport"


def test_no_staff_forward_of_a_colleagues_mail() -> None:
    """A colleague's own mail passed on is no forward to register for someone else."""
    colleague = "Från: Cia <cia@finsam.test>\nSkickat: 2026-02-03 09:15\n"
    assert forwarded(inline_forward(colleague)) is None


def test_a_block_with_only_a_name_keeps_the_officers_mail_and_asks_staff_to_check() -> None:
    """Given a quoted block that names its sender without an address (an outside sender, or a
    colleague quoted in the officer's own mail: nothing tells them apart), then the mail stays
    the officer's with the server's arrival, and the flag asks staff to check both."""
    fwd = forwarded(inline_forward("Från: Anna Berg\nSkickat: 2026-01-29 09:15\n"))
    assert fwd is not None
    assert fwd.officer == "bo.ek@finsam.test" and fwd.original.sender is None
    assert (fwd.parsed.from_address, fwd.parsed.subject) == ("bo.ek@finsam.test", "VB: Rapport")
    assert fwd.received_at == FORWARD_ARRIVED
    assert fwd.flag == ("vidarebefordrat, adress saknas: ”Anna Berg” 2026-01-29")
    undated = forwarded(inline_forward("Från: Anna\x1b[31m Berg\nSkickat: igår\n"))
    assert undated is not None and undated.flag == (
        "vidarebefordrat, adress saknas: ”Anna [31m Berg”"
    )
    named = forwarded(inline_forward("Från: Anna <anna@bollnas.test>\nSkickat: 2026-01-29\n"))
    assert named is not None and named.flag is None


def test_record_names_the_officer_on_the_document_and_in_the_log(app: App) -> None:
    number = register_report(app, sender="anna.berg@bollnas.test")
    original = Original(
        sender="anna.berg@bollnas.test",
        sender_name="Anna Berg",
        sent_at=dt.datetime(2026, 1, 28, 9, 30, tzinfo=ZONE),
        subject="Slutrapport",
        message_id=None,
        shape="attached",
    )
    fwd = StaffForward("bo.ek@finsam.test", original, parse_message(b""), FORWARD_ARRIVED)
    undated = replace(fwd, original=replace(original, sent_at=None, shape="inline"))
    with app.sessions() as s, s.begin():
        source = stored_message(s, 7, when=FORWARD_ARRIVED)
        doc = s.scalars(select(Document).where(Document.diarienummer == number)).one()
        fwd.record(s, doc, source)
        undated.record(s, doc, source)
        ids = (doc.id, source.id)
    assert document_by_number(app, number).registered_by == "bo.ek@finsam.test"
    events = events_of(app, "forwarded_by_staff")
    assert [(e.actor, e.document_id, e.source_message_id) for e in events] == [
        ("bo.ek@finsam.test", *ids),
        ("bo.ek@finsam.test", *ids),
    ]
    assert [e.detail for e in events] == [
        {
            "officer": "bo.ek@finsam.test",
            "sender": "anna.berg@bollnas.test",
            "shape": "attached",
            "original_date": "2026-01-28T09:30:00+01:00",
        },
        {
            "officer": "bo.ek@finsam.test",
            "sender": "anna.berg@bollnas.test",
            "shape": "inline",
            "original_date": None,
        },
    ]


def test_record_of_a_name_only_forward_adds_its_flag_to_the_documents(app: App) -> None:
    """Given a document already flagged at registration, when a name-only forward is recorded,
    then both flags are kept, and the new one is logged on its own."""
    number = register_report(app, sender="bo.ek@finsam.test")
    original = Original(
        sender=None, sender_name="Anna Berg", sent_at=None, subject=None, message_id=None,
        shape="inline",
    )  # fmt: skip
    fwd = StaffForward("bo.ek@finsam.test", original, parse_message(b""), FORWARD_ARRIVED)
    assert fwd.flag is not None
    with app.sessions() as s, s.begin():
        source = stored_message(s, 8, when=FORWARD_ARRIVED)
        doc = s.scalars(select(Document).where(Document.diarienummer == number)).one()
        doc.flag = "avsändaren kunde inte verifieras"
        fwd.record(s, doc, source)
    assert document_by_number(app, number).flag == f"avsändaren kunde inte verifieras; {fwd.flag}"
    [flagged] = events_of(app, "document_flagged")
    assert (flagged.actor, flagged.detail) == ("bo.ek@finsam.test", {"flag": fwd.flag})
    [forward] = events_of(app, "forwarded_by_staff")
    assert forward.detail["sender"] is None and forward.detail["shape"] == "inline"


def test_a_polled_name_only_forward_is_the_officers_with_a_flag(
    intake_app: App, account: Account
) -> None:
    """Given Bo's forward whose block shows Anna only by name, when polled, then the report is
    registered from Bo on the day it reached us, Bo gets the kvittens, and `show` says why."""
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject="VB: Slutrapport",
        body="Från: Anna Berg\nSkickat: den 29 januari 2026 23:40\nÄmne: Slutrapport\n\nHej!",
        attachments=[("slutrapport.docx", DOCX)],
        headers=STAFF_VERIFIED,
    )
    account.append(bytes(outer), at(3))
    poll(intake_app)
    doc, mail, log = registered(intake_app)
    assert (doc.sender, doc.received_date) == ("bo.ek@finsam.test", dt.date(2026, 2, 3))
    assert doc.registered_by == "bo.ek@finsam.test"
    assert doc.flag == ("vidarebefordrat, adress saknas: ”Anna Berg” 2026-01-29")
    assert {m.recipient for m in mail if m.kind == "kvittens"} == {"bo.ek@finsam.test"}
    assert [e.action for e in log if e.action in ("forwarded_by_staff", "document_flagged")] == [
        "forwarded_by_staff",
        "document_flagged",
    ]


# --- Issue 24: a forward is one only when our server vouches for the officer. ---

# Eighteen months before the forward: last year's series, if the quoted date were believed.
LONG_AGO = "Från: Anna Berg <anna.berg@bollnas.test>\nSkickat: den 3 augusti 2024 10:00\n"


def forged_forward(
    auth: str | None, block: str = LONG_AGO, subject: str = "VB: Slutrapport"
) -> bytes:
    headers = {"Authentication-Results": auth} if auth else {}
    outer = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject=subject,
        body=f"Se nedan.\n\n{block}\nHej! Här är vår slutrapport.",
        attachments=[("slutrapport.docx", DOCX)],
        headers=headers,
    )
    return bytes(outer)


OUR_FAIL = "mx.finsam.test; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=finsam.test"


@pytest.mark.parametrize(
    ("on_top", "auth"),
    [
        (None, OUR_FAIL),
        (None, None),  # no word from our server: nobody vouched for the officer either
        (None, "mx.evil.example; dmarc=pass header.from=finsam.test"),  # another server's word
        # The forger writes our server's name with a pass; our server's own header is on top
        (OUR_FAIL, "mx.finsam.test; dmarc=pass header.from=finsam.test"),
    ],
)
def test_an_unverified_staff_forward_is_the_senders_own_mail(
    intake_app: App, account: Account, on_top: str | None, auth: str | None
) -> None:
    """Given mail From bo.ek@finsam.test (a staff address) quoting Anna's header block dated
    18 months back, that our server did not verify, when polled, then it is registered as the
    sender's own mail: this year's number, the day it reached us, no kvittens to Anna, flagged."""
    top = f"Authentication-Results: {on_top}\n".encode() if on_top else b""
    account.append(top + forged_forward(auth), at(3))
    poll(intake_app)
    doc, mail, log = registered(intake_app)
    assert doc.diarienummer == "SFG 26-01.01"
    assert (doc.sender, doc.received_date) == ("bo.ek@finsam.test", dt.date(2026, 2, 3))
    assert doc.registered_by is None
    assert "anna.berg@bollnas.test" not in {m.recipient for m in mail}
    assert doc.flag is not None and "vidarebefordran ej verifierad" in doc.flag
    assert "forwarded_by_staff" not in [e.action for e in log]


def test_a_forged_forward_does_not_file_into_the_quoted_partys_case(
    intake_app: App, account: Account
) -> None:
    """Given Anna's own report in SFG 26-01, when a forward forged from a staff address
    (dmarc=fail) quotes Anna and names her case, then it is not filed into her case as hers."""
    account.append(bytes(message(attachments=[("slutrapport.docx", DOCX)])), at(2))
    poll(intake_app)
    unsigned = report("r04_row_blocksdt_unsigned_nfd.docx")
    forged = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject="VB: Slutrapport [SFG 26-01]",
        body=f"{LONG_AGO}\nHej!",
        attachments=[("rapport.docx", unsigned)],
        headers={"Authentication-Results": "mx.finsam.test; dmarc=fail header.from=finsam.test"},
    )
    account.append(bytes(forged), at(3))
    poll(intake_app)
    with intake_app.sessions() as s:
        docs = list(s.scalars(select(Document).order_by(Document.id)))
        anna = list(
            s.scalars(select(OutboxMail).where(OutboxMail.recipient == "anna.berg@bollnas.test"))
        )
    assert [(d.diarienummer, d.sender) for d in docs] == [
        ("SFG 26-01.01", "anna.berg@bollnas.test"),
        ("SFG 26-02.01", "bo.ek@finsam.test"),
    ]
    assert len(anna) == 1  # her own kvittens, nothing for the forgery


def test_a_verified_forward_keeps_the_quoted_date_as_information_and_staff_correct_it(
    intake_app: App, account: Account, config_file: str
) -> None:
    """Given Bo's verified forward quoting Anna's mail of 3 August 2024, when polled, then the
    document is Anna's of this year, received the day the forward came; `show` says the quoted
    date; `correct … received_date` needs a reason, keeps the number and logs old → new."""
    account.append(forged_forward(STAFF_VERIFIED["Authentication-Results"]), at(3))
    poll(intake_app)
    doc, mail, _log = registered(intake_app)
    assert (doc.diarienummer, doc.sender) == ("SFG 26-01.01", "anna.berg@bollnas.test")
    assert doc.received_date == dt.date(2026, 2, 3) and doc.flag is None
    assert {m.recipient for m in mail if m.kind == "kvittens"} == {"anna.berg@bollnas.test"}
    code, out, _ = run(config_file, "show", "SFG 26-01")
    assert code == 0 and "skickad enligt vidarebefordran 2024-08-03" in out
    code, _, err = run(config_file, "correct", "SFG 26-01.01", "received_date", "2026-01-29")
    assert code == 1 and "--reason" in err
    code, _, err = run(config_file, "correct", "SFG 26-01.01", "title", "X", "--reason", "y")
    assert code == 2 and "--reason gäller bara ankomstdatum" in err
    code, _, err = run(
        config_file, "correct", "SFG 26-01.01", "received_date", "2026-02-04", "--reason", "x"
    )
    assert code == 1 and "efter den dag" in err
    code, out, err = run(
        config_file,
        "correct",
        "SFG 26-01.01",
        "ankomstdatum",  # the Swedish name, as for every other field
        "2026-01-29",
        "--reason",
        "kom till Bo 29/1",
    )
    assert code == 0, err
    assert "ankomstdatum 2026-02-03 → 2026-01-29" in out
    fixed, _, log = registered(intake_app)
    assert (fixed.diarienummer, fixed.received_date) == ("SFG 26-01.01", dt.date(2026, 1, 29))
    [corrected] = [e for e in log if e.action == "field_corrected"]
    assert (corrected.actor, corrected.detail) == (
        "AKH",
        {
            "field": "received_date",
            "old": "2026-02-03",
            "new": "2026-01-29",
            "reason": "kom till Bo 29/1",
        },
    )
    code, out, _ = run(config_file, "show", "SFG 26-01")
    assert "ankomstdatum: 2026-02-03 → 2026-01-29; skäl: kom till Bo 29/1" in out


def test_a_bare_domain_is_a_staff_domain_only_where_the_operator_says_so() -> None:
    """A domain among staff_addresses stops the program with one line naming the right key;
    staff_domains takes it, and a verified address there forwards."""
    with pytest.raises(
        ConfigError, match=r"registry\.staff_addresses: 'finsam\.test'.*staff_domains"
    ):
        settings_from_dict({"registry": {"staff_addresses": ["finsam.test"]}})
    raw = forged_forward(None, block="Från: Anna <anna@bollnas.test>\nSkickat: 2026-01-29\n")
    parsed = parse_message(raw)
    exact = settings_from_dict({"registry": {"staff_addresses": ["cia@finsam.test"]}})
    assert staff_forward(exact, lambda: raw, parsed, FORWARD_ARRIVED, "verified") is None
    fwd = staff_forward(STAFF_SETTINGS, lambda: raw, parsed, FORWARD_ARRIVED, "verified")
    assert fwd is not None and fwd.verified and fwd.parsed.from_address == "anna@bollnas.test"
    assert fwd.received_at == FORWARD_ARRIVED
    unverified = staff_forward(STAFF_SETTINGS, lambda: raw, parsed, FORWARD_ARRIVED, "unknown")
    assert unverified is not None and not unverified.verified
    assert unverified.parsed.from_address == "bo.ek@finsam.test"
