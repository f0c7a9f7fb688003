"""Registering a test report and reading the register back, for the register's own tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case, Document, Event
from casefile.register import register_document
from tests.register.factories import new_report


def register_report(app: App, **report: Any) -> str:
    """Register one report (new_report's defaults, overridden by `report`); its number."""
    with app.sessions() as s, s.begin():
        return register_document(s, app.settings, new_report(**report)).diarienummer


def document_by_number(app: App, number: str) -> Document:
    with app.sessions() as s:
        return s.execute(select(Document).where(Document.diarienummer == number)).scalar_one()


def case_by_number(app: App, number: str) -> Case:
    with app.sessions() as s:
        return s.execute(select(Case).where(Case.number == number)).scalar_one()


def events_of(app: App, action: str) -> list[Event]:
    with app.sessions() as s:
        return list(s.scalars(select(Event).where(Event.action == action).order_by(Event.id)))
