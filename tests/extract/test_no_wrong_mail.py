"""No wrong mail to the public: a completion request (komplettering) only for a recognised form
whose missing fields are really absent. Registered and queued as the intake pipeline does it
(findings through for_registration), on a real database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import OutboxMail
from casefile.register import NewDocument, register_document
from intake.extract import Extraction, extract_bytes
from intake.extract.findings import for_registration
from intake.outgoing import ReplyContext, queue_for_document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _register(app: App, result: Extraction) -> tuple[str, list[str]]:
    fields = result.fields
    new = NewDocument(
        kind=result.document_type,
        received_at=dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC),
        sender="rapport@exempel.test",
        subject="Slutrapport",
        title=str(fields.get("title") or "rapport"),
        organisation=str(fields.get("organisation") or ""),
        fields=dict(fields),
        sections=dict(result.sections),
        findings=for_registration(result.to_json()["findings"]),
        submitter_signed=result.submitter_signed,
        contact_email=fields.get("contact_email"),
    )
    with app.sessions() as s, s.begin():
        document = register_document(s, app.settings, new)
        reply = ReplyContext("rapport@exempel.test", "<r1@exempel.test>", None, False)
        queue_for_document(s, app.settings, document, reply)
        kinds = s.execute(
            select(OutboxMail.kind).where(OutboxMail.document_id == document.id)
        ).scalars()
        return document.status, sorted(kinds)


def test_unrecognised_form_is_registered_for_staff_without_komplettering(app: App) -> None:
    """Given another funder's report lacking fields our forms require, when registered, then it
    is not 'incomplete', no komplettering is queued, and staff see 'formuläret kändes inte igen'."""
    path = FIXTURES / "variants" / "g02_kommun_projektredovisning.docx"
    result = extract_bytes(path.read_bytes(), path.name)
    assert "missing_field" in {f.code for f in result.findings}  # lacks phone and period
    status, kinds = _register(app, result)
    assert status == "registered"
    assert kinds == ["kvittens"]
    messages = [f.message for f in result.findings if f.code == "form_not_recognised"]
    assert messages and "Formuläret kändes inte igen" in messages[0]


def test_recognised_form_with_a_really_missing_field_asks_for_completion(app: App) -> None:
    """Given our own form with the phone number really empty, then a komplettering is queued."""
    path = FIXTURES / "reports" / "r07_cell_unregistered_inconsistent.docx"
    result = extract_bytes(path.read_bytes(), path.name)
    assert result.form == "slutrapport" and result.form_confidence >= 0.6
    status, kinds = _register(app, result)
    assert status == "incomplete"
    assert kinds == ["komplettering", "kvittens"]


def test_synonym_labels_ask_for_nothing(app: App) -> None:
    """Given our form with every label replaced by a synonym, then nothing is reported missing
    and no komplettering is queued."""
    path = FIXTURES / "variants" / "v05_label_synonyms.pdf"
    result = extract_bytes(path.read_bytes(), path.name)
    assert "missing_field" not in {f.code for f in result.findings}
    status, kinds = _register(app, result)
    assert status == "registered" and kinds == ["kvittens"]
