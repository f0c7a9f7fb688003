"""What the register records, exactly: the document and case as given, the audit log's details,
completion of an earlier incomplete report, and the staff operations' refusals.

Written for the gaps the mutation run (scripts/mutate register) found: each assertion here
fails when the corresponding line of casefile/register.py is changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case
from casefile.errors import RegisterError
from casefile.register import (
    add_note,
    cancel_document,
    find_case,
    register_document,
    set_due_date,
    sign_document,
)
from tests.register.factories import new_report, stored_message
from tests.register.readback import case_by_number as _case
from tests.register.readback import document_by_number as _document
from tests.register.readback import events_of as _events
from tests.register.readback import register_report as _register

WHEN = dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC)


def test_a_document_and_its_case_are_stored_as_given_without_nul_characters(app: App) -> None:
    with app.sessions() as s, s.begin():
        source_message_id = stored_message(s, when=WHEN).id
    number = _register(
        app,
        title="SA\x00FE",
        organisation="Bollnäs\x00 kommun",
        sender="anna.berg@bollnas.test",
        subject="Slutrapport SAFE\x00",
        fields={"title": "SA\x00FE", "list": ["a\x00b", "c"]},
        sections={"s1": "Text\x00 här"},
        contact_name="Anna\x00 Berg",
        contact_email="anna.berg@bollnas.test",
        period_end=dt.date(2025, 12, 31),
        source_message_id=source_message_id,
        received_at=WHEN,
    )
    assert number == "SFG 26-01.01"
    doc = _document(app, number)
    assert (doc.title, doc.organisation, doc.sender, doc.subject) == (
        "SAFE",
        "Bollnäs kommun",
        "anna.berg@bollnas.test",
        "Slutrapport SAFE",
    )
    assert doc.fields == {"title": "SAFE", "list": ["ab", "c"]}
    assert doc.sections == {"s1": "Text här"}
    assert (doc.submitter_signed, doc.status, doc.kind) == (True, "registered", "slutrapport")
    assert doc.source_message_id == source_message_id
    assert doc.received_at == WHEN and doc.received_date == dt.date(2026, 2, 3)
    case = _case(app, "SFG 26-01")
    assert (case.title, case.organisation, case.status) == ("SAFE", "Bollnäs kommun", "open")
    assert (case.contact_name, case.contact_email) == ("Anna Berg", "anna.berg@bollnas.test")
    assert case.period_end == dt.date(2025, 12, 31)
    [opened] = _events(app, "case_opened")
    assert (opened.case_id, opened.detail) == (case.id, {"number": "SFG 26-01"})
    [registered] = _events(app, "document_registered")
    assert registered.document_id == doc.id and registered.case_id == case.id
    assert registered.detail == {
        "diarienummer": "SFG 26-01.01",
        "kind": "slutrapport",
        "rule": "new",
        "received_date": "2026-02-03",
    }


def test_contact_and_period_end_are_filled_once_never_overwritten(app: App) -> None:
    """The case takes a contact address and a period end from the first report that has them;
    later reports with other values do not change them."""
    _register(app, contact_email=None, period_end=None)
    case = _case(app, "SFG 26-01")
    assert (case.contact_email, case.period_end) == (None, None)
    _register(app, contact_email="ny@bollnas.test", period_end=dt.date(2025, 6, 30))
    _register(app, contact_email="annan@bollnas.test", period_end=dt.date(2025, 12, 31))
    case = _case(app, "SFG 26-01")
    assert (case.contact_email, case.period_end) == ("ny@bollnas.test", dt.date(2025, 6, 30))


def _incomplete(app: App, **report: Any) -> str:
    return _register(app, signed=False, **report)


def test_only_a_signed_slutrapport_in_the_same_case_completes_an_earlier_incomplete_one(
    app: App,
) -> None:
    first = _incomplete(app)
    delrapport = _incomplete(app, kind="delrapport")
    other_case = _incomplete(app, title="Annan insats")
    assert _document(app, first).status == "incomplete"

    _register(app, kind="delrapport", signed=True)  # signed, but not a slutrapport
    second = _incomplete(app)  # a slutrapport, but unsigned
    _register(app, title="Tredje insats", signed=True)  # signed, other case
    assert _document(app, first).status == "incomplete"

    missing = {"code": "missing_field", "message": "Saknas: Postnummer.", "field": "postal_code"}
    last = _register(app, signed=True, findings=[missing])
    assert _document(app, first).status == "completed"
    assert _document(app, delrapport).status == "incomplete"  # not a slutrapport
    assert _document(app, other_case).status == "incomplete"
    assert _document(app, last).status == "incomplete"  # its own missing field stays
    assert _document(app, second).status == "completed"
    completed = sorted((e.document_id, e.detail["by"]) for e in _events(app, "completed_by"))
    assert completed == [
        (_document(app, first).id, last),
        (_document(app, second).id, last),
    ]


def test_form_reference_and_a_reply_file_into_the_named_case(app: App) -> None:
    assert _register(app, title="A", received_at=WHEN) == "SFG 26-01.01"
    assert _register(app, title="B", received_at=WHEN) == "SFG 26-02.01"
    assert _register(app, title="X", form_reference="SFG 26-01") == "SFG 26-01.02"
    assert _register(app, title="Y", replied_cases=("SFG 26-02",)) == "SFG 26-02.02"
    rules = [e.detail["rule"] for e in _events(app, "document_registered")]
    assert rules == ["new", "new", "form_reference", "reply"]


def test_find_case_needs_the_right_year_and_says_what_is_wrong(app: App) -> None:
    _register(app, received_at=dt.datetime(2025, 5, 6, 10, tzinfo=dt.UTC))
    with app.sessions() as s:
        assert find_case(s, app.settings, "SFG 25-01").number == "SFG 25-01"
        with pytest.raises(RegisterError) as missing:
            find_case(s, app.settings, "SFG 26-01")
        assert str(missing.value) == "det finns inget ärende SFG 26-01"
        with pytest.raises(RegisterError) as wrong:
            find_case(s, app.settings, "ärende ett")
        assert str(wrong.value) == "'ärende ett' är inget diarienummer (t.ex. SFG 26-01.02)"


def test_staff_operations_log_exactly_what_was_done(app: App) -> None:
    number = _register(app)
    with app.sessions() as s, s.begin():
        sign_document(s, app.settings, number, "akh")
    with app.sessions() as s, s.begin():
        add_note(s, app.settings, number, "  Ringt Anna.  ", "AKH")
        add_note(s, app.settings, "SFG 26-01", "Ärendet följs upp i mars.", "BRK")
        set_due_date(s, app.settings, "SFG 26-01", dt.date(2026, 3, 16), "AKH")
    with app.sessions() as s, s.begin():
        set_due_date(s, app.settings, "SFG 26-01", dt.date(2026, 4, 1), "AKH")
        cancel_document(s, app.settings, number, " Fel ärende ", "AKH")
    doc = _document(app, number)
    assert doc.signed_at is not None and doc.signature == "AKH"
    case_id = _case(app, "SFG 26-01").id
    [signed] = _events(app, "document_signed")
    assert (signed.actor, signed.document_id, signed.detail) == (
        "AKH",
        doc.id,
        {"signature": "AKH"},
    )
    notes = [(e.actor, e.document_id, e.case_id, e.detail) for e in _events(app, "note")]
    assert notes == [
        ("AKH", doc.id, case_id, {"text": "Ringt Anna."}),
        ("BRK", None, case_id, {"text": "Ärendet följs upp i mars."}),
    ]
    due = [(e.case_id, e.detail) for e in _events(app, "due_date_set")]
    assert due == [
        (case_id, {"due": "2026-03-16", "previous": None}),
        (case_id, {"due": "2026-04-01", "previous": "2026-03-16"}),
    ]
    [cancelled] = _events(app, "document_cancelled")
    assert (cancelled.document_id, cancelled.detail) == (doc.id, {"reason": "Fel ärende"})


def test_staff_operations_refuse_with_one_clear_line(app: App) -> None:
    number = _register(app)
    with app.sessions() as s, s.begin():
        cancel_document(s, app.settings, number, "Fel ärende", "AKH")
    cases = [
        (lambda s: add_note(s, app.settings, number, "   ", "AKH"), "anteckningen är tom"),
        (
            lambda s: cancel_document(s, app.settings, number, " ", "AKH"),
            "ange ett skäl för makuleringen (--reason)",
        ),
        (
            lambda s: cancel_document(s, app.settings, number, "Igen", "AKH"),
            "SFG 26-01.01 är redan makulerat",
        ),
        (
            lambda s: sign_document(s, app.settings, number, "AKH"),
            "SFG 26-01.01 är makulerat och kan inte signeras",
        ),
        (
            lambda s: sign_document(s, app.settings, number, "A.K"),
            "ogiltig signatur 'A.K': 1–8 bokstäver eller siffror, t.ex. AKH",
        ),
    ]
    for action, message in cases:
        with app.sessions() as s, s.begin(), pytest.raises(RegisterError) as refused:
            action(s)
        assert str(refused.value) == message


def test_a_cancelled_or_outgoing_document_does_not_make_its_sender_a_party(app: App) -> None:
    """Given a case whose only other documents are a cancelled one from another sender and an
    outgoing one from the office, when either of those addresses names the case in a subject,
    then the mail is not filed there: a new case is opened with the flag for staff."""
    from casefile.register import record_manual

    _register(app, sender="anna.berg@bollnas.test")
    with app.sessions() as s, s.begin():
        case = s.execute(select(Case).where(Case.number == "SFG 26-01")).scalar_one()
        stray = register_document(
            s, app.settings, new_report(sender="mallory@evil.test"), actor="AKH", into=case
        )
        letter = register_document(
            s, app.settings, new_report(sender="akh@finsam.test"), actor="AKH", into=case
        )
        record_manual(s, letter, "AKH", "e-post", "out", "svar.pdf", "b" * 64, 10)
    with app.sessions() as s, s.begin():
        cancel_document(s, app.settings, stray.diarienummer, "Fel ärende", "AKH")
    flag = "hänvisar till SFG 26-01 men kommer från en annan avsändare"
    for n, sender in enumerate(("mallory@evil.test", "bob@finsam.test"), start=2):
        number = _register(app, sender=sender, subject="Re: SFG 26-01", title=f"T{n}")
        assert number == f"SFG 26-0{n}.01"
        assert _document(app, number).flag == flag
    assert _register(app, sender="per@bollnas.test", subject="Re: SFG 26-01") == "SFG 26-01.04"


def test_a_confirmed_contact_speaks_for_its_own_case_only(app: App) -> None:
    """Given two cases, each with a confirmed contact at a public mail service, when the
    contact of the second names the first in a subject, then a new flagged case is opened;
    when the first's own contact does, the mail is filed there."""
    from casefile.register import confirm_contact

    _register(app, title="A", sender="kansli@kommun-a.test")
    _register(app, title="B", sender="kansli@kommun-b.test")
    with app.sessions() as s, s.begin():
        confirm_contact(s, app.settings, "SFG 26-01", "per.a@gmail.com", "AKH")
        confirm_contact(s, app.settings, "SFG 26-02", "eva.b@gmail.com", "AKH")
    stranger = _register(app, title="C", sender="eva.b@gmail.com", subject="Re: SFG 26-01")
    assert stranger == "SFG 26-03.01"
    assert _document(app, stranger).flag == (
        "hänvisar till SFG 26-01 men kommer från en annan avsändare"
    )
    assert _register(app, title="D", sender="per.a@gmail.com", subject="Re: SFG 26-01") == (
        "SFG 26-01.02"
    )


def _source_message(app: App, uid: int, verdict: str | None) -> int:
    with app.sessions() as s, s.begin():
        return stored_message(s, uid, when=WHEN, auth_verdict=verdict).id


def test_the_sender_verdict_comes_from_the_caller_or_else_from_the_message(app: App) -> None:
    """A verdict the caller gives is stored as given; without one, the message's own verdict is
    (unknown when the message has none), and a failed one flags the document."""
    failed, unjudged = _source_message(app, 1, "failed"), _source_message(app, 2, None)
    given = _register(app, title="A", source_message_id=failed, sender_verdict="verified")
    taken = _register(app, title="B", source_message_id=failed)
    unknown = _register(app, title="C", source_message_id=unjudged)
    staff = _register(app, title="D")
    verdicts = [_document(app, n).sender_verdict for n in (given, taken, unknown, staff)]
    assert verdicts == ["verified", "failed", "unknown", None]
    assert _document(app, given).flag is None
    assert _document(app, taken).flag == "avsändaren kunde inte verifieras"


def test_a_registration_named_by_staff_is_logged_with_rule_staff_and_both_flags_join(
    app: App,
) -> None:
    """A document staff file into a case is logged with rule 'staff'. A report from an
    unverified sender that names another party's case carries both reasons, and its flag is
    logged."""
    _register(app, sender="anna.berg@bollnas.test")
    with app.sessions() as s, s.begin():
        case = s.execute(select(Case).where(Case.number == "SFG 26-01")).scalar_one()
        register_document(s, app.settings, new_report(title="Brev"), actor="AKH", into=case)
    assert [e.detail["rule"] for e in _events(app, "document_registered")] == ["new", "staff"]
    assert _events(app, "document_registered")[1].actor == "AKH"

    failed = _source_message(app, 1, "failed")
    number = _register(
        app, sender="mallory@evil.test", subject="Re: SFG 26-01", source_message_id=failed
    )
    both = (
        "hänvisar till SFG 26-01 men kommer från en annan avsändare; "
        "avsändaren kunde inte verifieras"
    )
    doc = _document(app, number)
    assert doc.flag == both
    [flagged] = _events(app, "document_flagged")
    assert (flagged.actor, flagged.document_id, flagged.detail) == (
        app.settings.registry.bot_actor,
        doc.id,
        {"flag": both},
    )


def test_a_stranger_s_incomplete_report_in_the_case_does_not_stop_completion(app: App) -> None:
    """Given a case with an incomplete report staff filed from another party, then one from the
    case's own party, when the own party's signed report arrives, then its own earlier report
    is completed and the stranger's stays incomplete."""
    _register(app, kind="delrapport")
    with app.sessions() as s, s.begin():
        case = s.execute(select(Case).where(Case.number == "SFG 26-01")).scalar_one()
        stranger = register_document(
            s, app.settings, new_report(signed=False, sender="eva@annan.test"), "AKH", into=case
        ).diarienummer
    own = _incomplete(app)
    _register(app)
    assert (_document(app, stranger).status, _document(app, own).status) == (
        "incomplete",
        "completed",
    )


def test_a_new_case_and_its_document_are_found_by_search_at_once(app: App) -> None:
    from casefile.search import search

    def found() -> list[str]:
        with app.engine.connect() as conn:
            return sorted(h["ref"] for h in search(conn, "zebrafinken"))

    _register(app, title="Zebrafinken")
    assert found() == ["SFG 26-01", "SFG 26-01.01"]
    _register(app, title="Zebrafinken")
    assert found() == ["SFG 26-01", "SFG 26-01.01", "SFG 26-01.02"]


def test_a_signed_report_leaves_an_earlier_complete_one_as_it_is(app: App) -> None:
    first = _register(app)
    _register(app)
    assert _document(app, first).status == "registered"
    assert _events(app, "completed_by") == []
