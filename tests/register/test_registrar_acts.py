"""The registrar's acts on a registered report, called as `casefile close/reopen/correct/unsign/
secrecy/dismiss/register` call them: what each stores, the audit log's details, and the one
Swedish line each refusal gives.

Written for the gaps the mutation run (scripts/mutate register) found: these functions were only
reached through the staff CLI tests, whose assertions do not look at the stored details.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case, Document, OutboxMail, SourceMessage
from casefile.errors import RegisterError
from casefile.register import (
    CORRECTABLE,
    cancel_document,
    close_case,
    confirm_contact,
    correct_field,
    dismiss_message,
    mark_secrecy,
    move_document,
    record_manual,
    register_document,
    reopen_case,
    sign_document,
    unsign_document,
)
from tests.register.factories import new_report, stored_message
from tests.register.readback import case_by_number as _case
from tests.register.readback import document_by_number as _document
from tests.register.readback import events_of as _events
from tests.register.readback import register_report as _register

NOW = dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC)
# A slutrapport on which the extraction's checks find nothing to say.
COMPLETE: dict[str, Any] = {
    "title": "SAFE",
    "organisation": "Bollnäs kommun",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "granted_sek": 100000,
    "spent_sek": 100000,
    "contact_name": "Anna Berg",
    "contact_phone": "070-123 45 67",
    "contact_email": "anna.berg@bollnas.test",
    "submitter_date": "2026-01-20",
    "submitter_name": "Anna Berg",
}
SECTIONS = {"1": "Allmänna uppgifter", "8": "Anna Berg 2026-01-20"}
SIGN = "Avsnitt 8, Uppgiftslämnare"


def _refused(app: App, act: Any) -> str:
    with app.sessions() as s, s.begin(), pytest.raises(RegisterError) as refused:
        act(s)
    return str(refused.value)


def _outbox(case_id: int, n: int, kind: str, state: str = "queued") -> OutboxMail:
    return OutboxMail(
        dedupe_key=f"{kind}:test:{n}",
        kind=kind,
        case_id=case_id,
        recipient="anna.berg@bollnas.test",
        subject=f"{kind} {n}",
        message_id=f"<{n}@finsam.test>",
        raw=b"x",
        state=state,
        created_at=NOW,
    )


def _mail(app: App) -> dict[str, tuple[str, str | None]]:
    with app.sessions() as s:
        return {m.dedupe_key: (m.state, m.last_error) for m in s.scalars(select(OutboxMail))}


def test_close_stops_only_queued_reminders_and_completion_requests_of_that_case(
    app: App,
) -> None:
    """Given a case with queued, sent and other mail, and another case with a queued reminder,
    when the case is closed with a reason, then only its queued reminders and completion
    requests are stopped, with the reason, and the log says how many."""
    _register(app, signed=False)
    _register(app, title="Annan insats")
    first, other = _case(app, "SFG 26-01").id, _case(app, "SFG 26-02").id
    with app.sessions() as s, s.begin():
        s.add_all(
            [
                _outbox(first, 1, "komplettering"),
                _outbox(first, 2, "paminnelse"),
                _outbox(first, 3, "paminnelse", state="sent"),
                _outbox(first, 4, "kvittens"),
                _outbox(other, 5, "paminnelse"),
            ]
        )
    with app.sessions() as s, s.begin():
        case, stopped = close_case(s, app.settings, "SFG 26-01", "  Insatsen avbröts ", "AKH")
        assert (case.number, stopped) == ("SFG 26-01", 2)

    closed = _case(app, "SFG 26-01")
    assert (closed.status, closed.close_reason) == ("closed", "Insatsen avbröts")
    assert closed.closed_at is not None
    assert _case(app, "SFG 26-02").status == "open"
    assert _mail(app) == {
        "komplettering:test:1": ("suppressed", "ärendet avslutades (Insatsen avbröts)"),
        "paminnelse:test:2": ("suppressed", "ärendet avslutades (Insatsen avbröts)"),
        "paminnelse:test:3": ("sent", None),
        "kvittens:test:4": ("queued", None),
        "paminnelse:test:5": ("queued", None),
    }
    [event] = _events(app, "case_closed")
    assert (event.actor, event.case_id, event.detail) == (
        "AKH",
        first,
        {"reason": "Insatsen avbröts", "stopped_mail": 2},
    )
    assert _refused(app, lambda s: close_case(s, app.settings, "SFG 26-01", None, "AKH")) == (
        "SFG 26-01 är redan avslutat"
    )


def test_close_without_a_reason_and_reopen_undo_each_other(app: App) -> None:
    """Given a case with a queued reminder, when it is closed without a reason, then the mail says
    only that the case was closed; reopening clears the closing and logs its reason."""
    _register(app)
    case_id = _case(app, "SFG 26-01").id
    with app.sessions() as s, s.begin():
        s.add(_outbox(case_id, 1, "paminnelse"))
    assert _refused(app, lambda s: reopen_case(s, app.settings, "SFG 26-01", "AKH")) == (
        "SFG 26-01 är inte avslutat"
    )
    with app.sessions() as s, s.begin():
        assert close_case(s, app.settings, "SFG 26-01", "   ", "AKH")[1] == 1
    assert _mail(app) == {"paminnelse:test:1": ("suppressed", "ärendet avslutades")}
    assert _case(app, "SFG 26-01").close_reason is None
    assert _events(app, "case_closed")[0].detail == {"reason": None, "stopped_mail": 1}

    with app.sessions() as s, s.begin():
        close_reason = "Slutrapporten godkänd"
        reopen_case(s, app.settings, "SFG 26-01", "BRK")
        close_case(s, app.settings, "SFG 26-01", close_reason, "AKH")
    with app.sessions() as s, s.begin():
        assert reopen_case(s, app.settings, "SFG 26-01", "BRK").number == "SFG 26-01"
    case = _case(app, "SFG 26-01")
    assert (case.status, case.closed_at, case.close_reason) == ("open", None, None)
    reopened = [(e.actor, e.case_id, e.detail) for e in _events(app, "case_reopened")]
    assert reopened == [
        ("BRK", case_id, {"previous_reason": None}),
        ("BRK", case_id, {"previous_reason": "Slutrapporten godkänd"}),
    ]


def _complete(app: App, **changes: Any) -> str:
    fields = {**COMPLETE, **changes.pop("fields", {})}
    changes.setdefault("period_end", dt.date(2025, 12, 31))
    return _register(app, fields=fields, sections=changes.pop("sections", SECTIONS), **changes)


def _correct(app: App, ref: str, name: str, value: str, actor: str = "AKH") -> tuple[Any, Any]:
    with app.sessions() as s, s.begin():
        _, old, new = correct_field(s, app.settings, ref, name, value, actor)
    return old, new


def test_correcting_the_signature_fields_recomputes_findings_status_and_signed(app: App) -> None:
    """Given an incomplete report whose section 8 has no date and no name, when staff correct
    the date and then the name, then the findings follow each step and the report is
    registered and signed at the end; the log keeps old and new."""
    ref = _complete(
        app,
        signed=False,
        fields={"submitter_date": None, "submitter_name": None},
        findings=[{"code": "unsigned", "message": f"{SIGN}, saknar datum och namn."}],
    )
    assert _correct(app, ref, "submitter_date", " 2026-01-20 ") == (None, "2026-01-20")
    doc = _document(app, ref)
    assert doc.findings == [{"code": "unsigned", "message": f"{SIGN}, saknar namn."}]
    assert (doc.status, doc.submitter_signed) == ("incomplete", False)
    assert doc.fields["submitter_date"] == "2026-01-20"

    assert _correct(app, ref, "submitter_name", "Per Holm") == (None, "Per Holm")
    doc = _document(app, ref)
    assert (doc.findings, doc.status, doc.submitter_signed) == ([], "registered", True)
    logged = [(e.actor, e.document_id, e.detail) for e in _events(app, "field_corrected")]
    assert logged == [
        (
            "AKH",
            doc.id,
            {
                "field": "submitter_date",
                "old": None,
                "new": "2026-01-20",
                "period_end_before": "2025-12-31",
            },
        ),
        (
            "AKH",
            doc.id,
            {
                "field": "submitter_name",
                "old": None,
                "new": "Per Holm",
                "period_end_before": "2025-12-31",
            },
        ),
    ]


def test_correcting_amounts_and_the_period_checks_them_again(app: App) -> None:
    """Amounts are read in whole kronor with spaces and 'kr' or ':-'; an overspend and an
    inverted period are found again; the period end also moves the case's period end."""
    ref = _complete(app)
    assert _correct(app, ref, "spent_sek", "120 000 kr") == (100000, 120000)
    doc = _document(app, ref)
    assert doc.findings == [
        {
            "code": "overspent",
            "message": "Utnyttjade medel (120 000 kr) överstiger beviljade medel (100 000 kr).",
        }
    ]
    assert doc.status == "registered"  # an overspend asks for no completion
    assert _correct(app, ref, "granted_sek", "120\u00a0000:-") == (100000, 120000)
    assert _correct(app, ref, "spent_sek", "90\u202f000") == (120000, 90000)
    assert _correct(app, ref, "granted_sek", "90000kr") == (120000, 90000)
    assert _document(app, ref).findings == []

    assert _correct(app, ref, "period_start", "2026-01-01") == ("2025-01-01", "2026-01-01")
    assert _document(app, ref).findings == [
        {
            "code": "period_inconsistent",
            "message": "Insatstidens slutdatum (2025-12-31) ligger före startdatumet (2026-01-01).",
        }
    ]
    assert _correct(app, ref, "period_end", "2026-09-30") == ("2025-12-31", "2026-09-30")
    assert _document(app, ref).findings == []
    assert _case(app, "SFG 26-01").period_end == dt.date(2026, 9, 30)
    last = _events(app, "field_corrected")[-1].detail
    assert (last["old"], last["new"], last["period_end_before"]) == (
        "2025-12-31",
        "2026-09-30",
        "2025-12-31",
    )
    assert _correct(app, ref, "period_start", "2025-02-01") == ("2026-01-01", "2025-02-01")
    assert _case(app, "SFG 26-01").period_end == dt.date(2026, 9, 30)  # only period_end moves it


def test_a_case_without_a_period_end_logs_none_before(app: App) -> None:
    ref = _complete(app, period_end=None)
    _correct(app, ref, "contact_phone", "070-765 43 21")
    [event] = _events(app, "field_corrected")
    assert event.detail == {
        "field": "contact_phone",
        "old": "070-123 45 67",
        "new": "070-765 43 21",
        "period_end_before": None,
    }


def test_an_unreadable_value_stays_until_that_field_is_corrected(app: App) -> None:
    """An unreadable amount's finding keeps its text (the raw value is only in the message)
    while other fields are corrected; correcting the amount itself replaces it. A finding the
    checks cannot make again (an unrecognised form) stays."""
    unreadable = {
        "code": "unreadable_value",
        "message": "Värdet för Beviljade medel kunde inte tolkas: ”hundra tusen”.",
        "field": "granted_sek",
    }
    odd_form = {"code": "form_not_recognised", "message": "Formuläret kändes inte igen."}
    ref = _complete(app, fields={"granted_sek": None}, findings=[unreadable, odd_form])
    _correct(app, ref, "contact_name", "Anna Lind")
    assert _document(app, ref).findings == [unreadable, odd_form]
    _correct(app, ref, "period_end", "2025-11-30")
    assert _document(app, ref).findings == [unreadable, odd_form]

    _correct(app, ref, "granted_sek", "100000")
    assert _document(app, ref).findings == [odd_form]


def test_a_missing_section_8_stays_missing_when_other_fields_are_corrected(app: App) -> None:
    """Given a report whose section 8 was not found at all, when the date and name are
    corrected, then it still says the section is missing: a correction cannot sign it. Without
    that finding, a report whose section texts were not kept counts section 8 as present."""
    missing = {"code": "unsigned", "message": f"{SIGN}, saknas i rapporten.", "field": "8"}
    # A row stored before findings named the absent section says so only in its message.
    legacy = {"code": "unsigned", "message": f"{SIGN}, saknas i rapporten."}
    for stored in (missing, legacy):
        ref = _complete(
            app,
            title=f"Insats {len(stored)}",
            signed=False,
            sections={"1": "Text"},
            findings=[stored],
        )
        _correct(app, ref, "submitter_name", "Per Holm")
        doc = _document(app, ref)
        assert (doc.findings, doc.status) == ([missing], "incomplete")

    no_name = {"code": "unsigned", "message": f"{SIGN}, saknar namn."}
    other = _complete(
        app,
        title="Annan insats",
        signed=False,
        sections={},
        fields={"submitter_name": None},
        findings=[no_name],
    )
    assert _document(app, other).status == "incomplete"
    _correct(app, other, "submitter_name", "Per Holm")
    doc = _document(app, other)
    assert (doc.findings, doc.status, doc.submitter_signed) == ([], "registered", True)


def test_correcting_title_and_kind(app: App) -> None:
    """The title is corrected on the document and in its fields; a corrected kind is checked as
    that kind (an ansökan is no final report), and a completed report keeps its status."""
    ref = _complete(app)
    assert _correct(app, ref, "title", "SAFE 2.0") == ("SAFE", "SAFE 2.0")
    doc = _document(app, ref)
    assert (doc.title, doc.fields["title"]) == ("SAFE 2.0", "SAFE 2.0")
    assert _correct(app, ref, "organisation", "Bollnäs") == ("Bollnäs kommun", "Bollnäs")
    assert _document(app, ref).organisation == "Bollnäs"
    assert _correct(app, ref, "kind", "ansokan") == ("slutrapport", "ansokan")
    doc = _document(app, ref)
    assert doc.kind == "ansokan" and "kind" not in doc.fields
    assert doc.findings == [
        {"code": "not_final_report", "message": "Dokumentet är en ansökan, inte en slutrapport."}
    ]
    assert _correct(app, ref, "kind", "unknown") == ("ansokan", "unknown")
    assert [f["code"] for f in _document(app, ref).findings] == ["unknown_document"]

    done = _complete(app, title="Klar insats", signed=False, fields={"submitter_name": None})
    _complete(app, title="Klar insats")  # signed: completes the first one
    assert _document(app, done).status == "completed"
    _correct(app, done, "submitter_name", "Per Holm")
    assert _document(app, done).status == "completed"


def test_corrections_refuse_with_one_clear_line(app: App) -> None:
    ref = _complete(app)
    cancelled = _complete(app, title="Fel insats")
    with app.sessions() as s, s.begin():
        cancel_document(s, app.settings, cancelled, "Fel ärende", "AKH")

    def correct(name: str, value: str, number: str = ref) -> str:
        return _refused(app, lambda s: correct_field(s, app.settings, number, name, value, "AKH"))

    assert correct("colour", "blå") == (
        "fältet 'colour' kan inte rättas; välj bland: " + ", ".join(CORRECTABLE)
    )
    assert ", ".join(CORRECTABLE).startswith("title, organisation, kind, period_start")
    assert correct("title", "Ny", cancelled) == "SFG 26-02.01 är makulerat och kan inte rättas"
    assert correct("period_end", "31/12") == "'31/12' är inget datum (ÅÅÅÅ-MM-DD)"
    assert correct("granted_sek", "mycket") == "'mycket' är inget belopp i hela kronor"
    assert correct("spent_sek", "12,5 kr") == "'12,5 kr' är inget belopp i hela kronor"
    assert correct("kind", "brev") == "okänd typ 'brev': slutrapport, delrapport, ansokan, unknown"
    assert correct("workplace", "   ") == "värdet är tomt"
    assert correct("title", " SAFE ") == "title är redan SAFE"
    assert correct("kind", "slutrapport") == "kind är redan slutrapport"
    assert correct("granted_sek", "100 000") == "granted_sek är redan 100000"
    assert _events(app, "field_corrected") == []


def test_unsign_withdraws_a_signature_with_a_reason(app: App) -> None:
    number = _register(app)
    assert _refused(
        app, lambda s: unsign_document(s, app.settings, number, "Fel ärende", "AKH")
    ) == ("SFG 26-01.01 är inte signerat")
    with app.sessions() as s, s.begin():
        sign_document(s, app.settings, number, "BRK")
    assert _refused(app, lambda s: unsign_document(s, app.settings, number, "  ", "AKH")) == (
        "ange ett skäl (--reason)"
    )
    with app.sessions() as s, s.begin():
        doc = unsign_document(s, app.settings, number, " Fel ärende ", "AKH")
        assert doc.diarienummer == number
    doc = _document(app, number)
    assert (doc.signature, doc.signed_at) == (None, None)
    [event] = _events(app, "document_unsigned")
    assert (event.actor, event.document_id, event.detail) == (
        "AKH",
        doc.id,
        {"previous": "BRK", "reason": "Fel ärende"},
    )


def test_secrecy_marking_keeps_provision_public_title_and_who(app: App) -> None:
    number = _register(app)
    assert _refused(
        app, lambda s: mark_secrecy(s, app.settings, number, "  ", "Rapport", "AKH")
    ) == ('ange bestämmelsen (--provision), t.ex. "OSL 26 kap. 1 §"')
    with app.sessions() as s, s.begin():
        mark_secrecy(s, app.settings, number, " OSL 21 kap. 1 § ", " Rapport ", "AKH")
    doc = _document(app, number)
    assert (doc.secrecy_provision, doc.secrecy_public_title, doc.secrecy_by) == (
        "OSL 21 kap. 1 §",
        "Rapport",
        "AKH",
    )
    assert doc.secrecy_at is not None
    with app.sessions() as s, s.begin():
        assert mark_secrecy(s, app.settings, number, "OSL 26 kap. 1 §", "  ", "BRK") is not None
    doc = _document(app, number)
    assert (doc.secrecy_provision, doc.secrecy_public_title, doc.secrecy_by) == (
        "OSL 26 kap. 1 §",
        None,
        "BRK",
    )
    marked = [(e.actor, e.document_id, e.detail) for e in _events(app, "secrecy_marked")]
    assert marked == [
        (
            "AKH",
            doc.id,
            {"provision": "OSL 21 kap. 1 §", "public_title": "Rapport", "previous": None},
        ),
        (
            "BRK",
            doc.id,
            {"provision": "OSL 26 kap. 1 §", "public_title": None, "previous": "OSL 21 kap. 1 §"},
        ),
    ]
    with app.sessions() as s, s.begin():
        mark_secrecy(s, app.settings, number, "OSL 26 kap. 1 §", None, "BRK")
    assert _document(app, number).secrecy_public_title is None


def _message(app: App, uid: int) -> int:
    with app.sessions() as s, s.begin():
        return stored_message(s, uid, state="quarantined", when=NOW).id


def test_dismissing_a_message_keeps_who_and_why(app: App) -> None:
    kept, dismissed = _message(app, 1), _message(app, 2)
    assert _refused(app, lambda s: dismiss_message(s, dismissed, " ", "AKH")) == (
        "ange ett skäl (--reason)"
    )
    assert _refused(app, lambda s: dismiss_message(s, 9999, "Nyhetsbrev", "AKH")) == (
        "det finns ingen post med id 9999"
    )
    with app.sessions() as s, s.begin():
        assert dismiss_message(s, dismissed, " Nyhetsbrev ", "AKH").id == dismissed
    assert _refused(app, lambda s: dismiss_message(s, dismissed, "Igen", "BRK")) == (
        f"post {dismissed} är redan avförd (Nyhetsbrev)"
    )
    with app.sessions() as s:
        msg = s.get(SourceMessage, dismissed)
        assert msg is not None and msg.dismissed_at is not None
        assert (msg.dismissed_by, msg.dismiss_reason) == ("AKH", "Nyhetsbrev")
        other = s.get(SourceMessage, kept)
        assert other is not None and other.dismissed_at is None
    [event] = _events(app, "message_dismissed")
    assert (event.actor, event.source_message_id, event.detail) == (
        "AKH",
        dismissed,
        {"reason": "Nyhetsbrev"},
    )


def test_a_registration_by_hand_records_channel_direction_and_the_file(app: App) -> None:
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report(sender=None), actor="AKH")
        record_manual(s, doc, "AKH", "post", "in", "brev.pdf", "a" * 64, 1234)
    doc = _document(app, "SFG 26-01.01")
    assert (doc.channel, doc.direction, doc.registered_by) == ("post", "in", "AKH")
    [event] = _events(app, "registered_by_hand")
    assert (event.actor, event.document_id, event.detail) == (
        "AKH",
        doc.id,
        {
            "channel": "post",
            "direction": "in",
            "file": {"filename": "brev.pdf", "sha256": "a" * 64, "size": 1234},
        },
    )


def test_a_move_is_told_in_both_cases_and_clears_the_flag_it_answers(app: App) -> None:
    """Given a report flagged into a new case because it named SFG 26-01 from another sender,
    when staff move it into SFG 26-01, then both cases' histories tell the move, the document
    and its old case lose that flag, and a closed case takes no document."""
    _register(app, sender="anna.berg@bollnas.test")
    moved = _register(app, sender="mallory@evil.test", subject="Re: SFG 26-01")
    flag = "hänvisar till SFG 26-01 men kommer från en annan avsändare"
    assert (moved, _document(app, moved).flag, _case(app, "SFG 26-02").flag) == (
        "SFG 26-02.01",
        flag,
        flag,
    )
    with app.sessions() as s, s.begin():
        done = move_document(s, app.settings, moved, "SFG 26-01", "AKH")
    assert (done.diarienummer, done.from_case, done.to_case) == (moved, "SFG 26-02", "SFG 26-01")
    doc = _document(app, moved)
    source, target = _case(app, "SFG 26-02"), _case(app, "SFG 26-01")
    assert (doc.case_id, doc.flag, source.flag) == (target.id, None, None)
    detail = {"diarienummer": moved, "from": "SFG 26-02", "to": "SFG 26-01"}
    logged = [(e.actor, e.case_id, e.document_id, e.detail) for e in _events(app, "document_moved")]
    assert logged == [("AKH", source.id, doc.id, detail), ("AKH", target.id, doc.id, detail)]

    with app.sessions() as s, s.begin():
        close_case(s, app.settings, "SFG 26-02", None, "AKH")
    assert _case(app, "SFG 26-02").close_reason is None
    assert _refused(app, lambda s: move_document(s, app.settings, moved, "SFG 26-02", "AKH")) == (
        "ärendet SFG 26-02 är avslutat; öppna det igen först"
    )
    assert _refused(app, lambda s: move_document(s, app.settings, moved, "SFG 26-01", "AKH")) == (
        "SFG 26-02.01 ligger redan i SFG 26-01"
    )


def test_a_move_keeps_an_old_case_flag_the_document_does_not_answer(app: App) -> None:
    """Given a document and its case flagged for different reasons, when the document is moved,
    then the document's flag is gone (staff decided) and its old case keeps its own."""
    _register(app)
    other = _register(app, title="Annan insats")
    with app.sessions() as s, s.begin():
        s.execute(select(Case).where(Case.number == "SFG 26-02")).scalar_one().flag = "granska"
        doc = s.execute(select(Document).where(Document.diarienummer == other)).scalar_one()
        doc.flag = "avsändaren kunde inte verifieras"
    with app.sessions() as s, s.begin():
        move_document(s, app.settings, other, "SFG 26-01", "AKH")
    assert (_case(app, "SFG 26-02").flag, _document(app, other).flag) == ("granska", None)


def test_confirming_a_contact_keeps_the_address_and_logs_what_it_replaced(app: App) -> None:
    """Given a case whose report gave a contact address, when staff confirm another and then a
    third, then the case keeps the last and who confirmed it, and each log entry names the
    address, the one it replaced and the report's candidate. An address is at most 254
    characters and a plain addr-spec."""
    _register(app, contact_email="anna.berg@bollnas.test")
    longest = "a" * (254 - len("@bollnas.test")) + "@bollnas.test"
    with app.sessions() as s, s.begin():
        case = confirm_contact(s, app.settings, "SFG 26-01", " per.holm@bollnas.test ", "AKH")
        assert case.number == "SFG 26-01"
    with app.sessions() as s, s.begin():
        confirm_contact(s, app.settings, "SFG 26-01", longest, "BRK")
    case = _case(app, "SFG 26-01")
    assert (case.confirmed_contact_email, case.confirmed_contact_by) == (longest, "BRK")
    assert case.contact_email == "anna.berg@bollnas.test"
    logged = [(e.actor, e.case_id, e.detail) for e in _events(app, "contact_confirmed")]
    assert logged == [
        (
            "AKH",
            case.id,
            {
                "address": "per.holm@bollnas.test",
                "previous": None,
                "candidate": "anna.berg@bollnas.test",
            },
        ),
        (
            "BRK",
            case.id,
            {
                "address": longest,
                "previous": "per.holm@bollnas.test",
                "candidate": "anna.berg@bollnas.test",
            },
        ),
    ]
    for address in ("a" + longest, "Anna <anna@bollnas.test>"):
        refused = _refused(
            app, lambda s, a=address: confirm_contact(s, app.settings, "SFG 26-01", a, "AKH")
        )
        assert refused == f"{address!r} är ingen e-postadress (t.ex. anna.berg@kommun.se)"


def test_sections_are_checked_again_with_their_numbers_and_texts(app: App) -> None:
    """An underspend explained in section 7.2.1 stays explained, and a personnummer in a section's
    text stays found, when another field is corrected."""
    explained = _complete(
        app, fields={"spent_sek": 80000}, sections={**SECTIONS, "7.2.1": "Färre deltagare."}
    )
    _correct(app, explained, "contact_name", "Anna Lind")
    assert _document(app, explained).findings == []

    personal = _complete(
        app, title="Annan insats", sections={**SECTIONS, "4.1": "Deltagare 19121212-1212 kom."}
    )
    _correct(app, personal, "contact_name", "Anna Lind")
    assert [f["code"] for f in _document(app, personal).findings] == ["possible_personnummer"]


def test_title_and_organisation_are_corrected_from_the_document_s_own_value(app: App) -> None:
    """The old value of a title or organisation is the document's own (what lists show), and the
    extracted field's only when the document has none."""
    ref = _complete(app, fields={"title": "Säfe"})
    assert _correct(app, ref, "title", "SAFE 2.0") == ("SAFE", "SAFE 2.0")
    other = _complete(app, title="Annan insats", fields={"organisation": "Bollnäs k:n"})
    assert _correct(app, other, "organisation", "Bollnäs") == ("Bollnäs kommun", "Bollnäs")
    unnamed = _complete(app, title="Tredje insats", organisation="")
    assert _correct(app, unnamed, "organisation", "Bollnäs") == ("Bollnäs kommun", "Bollnäs")


def test_a_correction_of_a_registered_report_can_make_it_incomplete(app: App) -> None:
    """Given a report registered without findings whose phone number is missing (registered by
    hand), when another field is corrected, then the checks find the missing phone and the
    report becomes incomplete."""
    ref = _complete(app, fields={"contact_phone": None}, findings=[])
    assert _document(app, ref).status == "registered"
    _correct(app, ref, "contact_name", "Anna Lind")
    doc = _document(app, ref)
    assert doc.status == "incomplete"
    assert doc.findings == [
        {
            "code": "missing_field",
            "message": "Obligatoriskt fält saknas: Mobiltelefonnummer.",
            "field": "contact_phone",
        }
    ]


def test_a_correction_of_an_unrecognised_form_asks_for_no_completion(app: App) -> None:
    """Given a report registered from a form we did not recognise (its missing phone number
    gave way to form_not_recognised, as for_registration does), when staff correct a field,
    then the checks run again but still ask the sender for nothing: the report stays
    registered, with the finding that sends it to staff."""
    not_recognised = {
        "code": "form_not_recognised",
        "message": "Blanketten kändes inte igen.",
    }
    ref = _complete(app, fields={"contact_phone": None}, findings=[not_recognised])
    _correct(app, ref, "contact_name", "Anna Lind")
    doc = _document(app, ref)
    assert doc.status == "registered"
    assert doc.findings == [not_recognised]
