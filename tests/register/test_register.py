"""Registering documents in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case, Document, Event
from casefile.register import (
    RegisterError,
    cancel_document,
    register_document,
    set_due_date,
    sign_document,
)
from tests.register.factories import new_report


def test_first_report_opens_case_one_of_the_year(app: App) -> None:
    """Given an empty register, when a report arrives, then it is SFG yy-01.01."""
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report())
        assert doc.diarienummer == "SFG 26-01.01"
        assert doc.case.number == "SFG 26-01"
        assert doc.received_date == dt.date(2026, 2, 3)


def test_arrival_date_is_swedish_date_of_server_receipt(app: App) -> None:
    """00:20 in Stockholm on 3 February is still 2 February in UTC: the date is 3 February."""
    received = dt.datetime(2026, 2, 2, 23, 20, tzinfo=dt.UTC)
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report(received_at=received))
        assert doc.received_date == dt.date(2026, 2, 3)
        summer = register_document(
            s,
            app.settings,
            new_report(title="Annan", received_at=dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)),
        )
        assert summer.received_date == dt.date(2026, 7, 1)


def test_follow_up_goes_into_the_same_case_and_completes_the_first(app: App) -> None:
    with app.sessions() as s, s.begin():
        first = register_document(s, app.settings, new_report(signed=False))
        assert first.status == "incomplete"
        second = register_document(
            s, app.settings, new_report(subject=f"Re: [{first.diarienummer}] Komplettering")
        )
        other = register_document(s, app.settings, new_report(title="Kärnhuset 2.0"))
    assert second.diarienummer == "SFG 26-01.02"
    assert other.diarienummer == "SFG 26-02.01"
    with app.sessions() as s:
        assert s.get(Document, first.id).status == "completed"  # type: ignore[union-attr]
        actions = s.scalars(select(Event.action).where(Event.document_id == first.id)).all()
        assert "completed_by" in actions


def test_case_year_is_the_year_it_was_opened(app: App) -> None:
    with app.sessions() as s, s.begin():
        old = register_document(
            s, app.settings, new_report(received_at=dt.datetime(2025, 12, 30, 9, tzinfo=dt.UTC))
        )
        new = register_document(
            s, app.settings, new_report(received_at=dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC))
        )
    # Same insats: filed in the 2025 case, with its next document number.
    assert (old.diarienummer, new.diarienummer) == ("SFG 25-01.01", "SFG 25-01.02")


def test_sign_cancel_and_due_are_logged(app: App) -> None:
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report())
        number = doc.diarienummer
    with app.sessions() as s, s.begin():
        sign_document(s, app.settings, number, "akh")
    with (
        app.sessions() as s,
        s.begin(),
        pytest.raises(RegisterError, match="redan signerat av AKH"),
    ):
        sign_document(s, app.settings, number, "BRK")
    with app.sessions() as s, s.begin():
        cancel_document(s, app.settings, number, "Fel ärende", "AKH")
        set_due_date(s, app.settings, "SFG 26-01", dt.date(2026, 12, 31), "AKH")
    with app.sessions() as s:
        doc2 = s.scalars(select(Document).where(Document.diarienummer == number)).one()
        assert (doc2.signature, doc2.cancelled, doc2.status) == ("AKH", True, "cancelled")
        assert s.scalars(select(Case.due_date)).one() == dt.date(2026, 12, 31)
        actions = s.scalars(select(Event.action).order_by(Event.id)).all()
    assert actions == [
        "case_opened",
        "document_registered",
        "document_signed",
        "document_cancelled",
        "due_date_set",
    ]


def test_cancelled_number_is_never_reused(app: App) -> None:
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report())
        cancel_document(s, app.settings, doc.diarienummer, "Registrerad av misstag", "AKH")
    with app.sessions() as s, s.begin():
        nxt = register_document(s, app.settings, new_report())
    assert nxt.diarienummer == "SFG 26-01.02"


def test_rolled_back_registration_leaves_no_gap(app: App) -> None:
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report())
    with app.sessions() as s:
        s.begin()
        register_document(s, app.settings, new_report())
        s.rollback()
    with app.sessions() as s, s.begin():
        again = register_document(s, app.settings, new_report())
    assert again.diarienummer == "SFG 26-01.02"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("SFG 26-09.01", "inget dokument"),
        ("SFG 26-01", "inget dokumentnummer"),
        ("hej", "inget dokumentnummer"),
    ],
)
def test_unknown_references_give_clear_errors(app: App, ref: str, message: str) -> None:
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report())
    with app.sessions() as s, s.begin(), pytest.raises(RegisterError, match=message):
        sign_document(s, app.settings, ref, "AKH")
