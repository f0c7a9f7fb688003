"""What the pipeline hands the register for one report: the form's answers and the message's
facts, with a title and organisation that are never missing (empty at worst)."""

from __future__ import annotations

import datetime as dt

from intake.extract.model import Extraction, Finding
from intake.mail.attachments import Candidate
from intake.mail.mime import AttachedFile, ParsedMessage
from intake.mail.records import _new_document

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def candidate(filename: str | None, fields: dict[str, object]) -> Candidate:
    extraction = Extraction(
        document_type="slutrapport",
        fields=fields,
        sections={"8": "Datum 2026-01-30 Namn Anna Berg"},
        findings=[Finding("missing_field", "Organisation saknas.", "organisation")],
    )
    return Candidate(AttachedFile(filename, DOCX, b"x"), "ab" * 32, DOCX, "report", extraction)


def parsed(subject: str = "Slutrapport") -> ParsedMessage:
    return ParsedMessage(
        message_id="<m-1@bollnas.test>",
        in_reply_to=None,
        references=None,
        subject=subject,
        from_address="anna.berg@bollnas.test",
        from_name="Anna Berg",
        date_header=None,
        headers={},
        content_type="multipart/mixed",
    )


def test_the_form_and_the_message_make_the_new_document() -> None:
    fields: dict[str, object] = {
        "title": "Kärnhuset 2.0",
        "organisation": "Exempelby kommun",
        "reference": "SFG 26-01",
        "contact_name": "Anna Berg",
        "contact_email": "anna.berg@bollnas.test",
        "period_end": "2026-06-30",
    }
    new = _new_document([candidate("r.docx", fields)], parsed(), WHEN, ("SFG 25-04",))
    assert (new.kind, new.received_at, new.sender, new.subject) == (
        "slutrapport",
        WHEN,
        "anna.berg@bollnas.test",
        "Slutrapport",
    )
    assert (new.title, new.organisation, new.form_reference) == (
        "Kärnhuset 2.0",
        "Exempelby kommun",
        "SFG 26-01",
    )
    assert (new.contact_name, new.contact_email) == ("Anna Berg", "anna.berg@bollnas.test")
    assert new.period_end == dt.date(2026, 6, 30)
    assert new.replied_cases == ("SFG 25-04",)
    assert new.fields == fields and new.fields is not fields
    assert new.sections == {"8": "Datum 2026-01-30 Namn Anna Berg"}
    assert new.findings == [
        {"code": "missing_field", "message": "Organisation saknas.", "field": "organisation"}
    ]


def test_without_a_title_the_file_name_then_nothing() -> None:
    """Given a form without a title or organisation, then the title is the file's name, and
    with no file name either both are empty: never a placeholder a registrar must clean up."""
    named = _new_document([candidate("slutrapport.pdf", {})], parsed(), WHEN, ())
    assert (named.title, named.organisation) == ("slutrapport.pdf", "")
    unnamed = _new_document([candidate(None, {"title": ""})], parsed(), WHEN, ())
    assert (unnamed.title, unnamed.organisation) == ("", "")
    assert unnamed.period_end is None and unnamed.form_reference is None


def test_a_period_end_that_is_not_a_date_is_left_out() -> None:
    for value in ("30 juni", "2026-13-01", "", None):
        new = _new_document([candidate("r.docx", {"period_end": value})], parsed(), WHEN, ())
        assert new.period_end is None, value
