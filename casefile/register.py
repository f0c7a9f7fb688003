"""Registering documents and the staff's acts on them (sign, cancel, note, due date).

Every function works inside the caller's transaction and writes its event to the audit log there,
so a registration and its log entry (and its queued acknowledgement) commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Case, Document, utcnow
from casefile.errors import RegisterError
from casefile.events import log_event
from casefile.initials import check_initials
from casefile.matching import CaseMatch, Incoming, OpenCase, match_case
from casefile.numbering import case_number, document_number, next_serial, parse_reference
from casefile.states import CaseStatus, DocumentStatus

INCOMPLETE_CODES = frozenset({"unsigned", "missing_field"})
__all__ = ["NewDocument", "RegisterError", "check_initials", "register_document"]


@dataclass
class NewDocument:
    kind: str
    received_at: dt.datetime
    sender: str | None = None
    subject: str | None = None
    title: str = ""
    organisation: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    submitter_signed: bool = False
    form_reference: str | None = None
    replied_cases: tuple[str, ...] = ()
    contact_name: str | None = None
    contact_email: str | None = None
    period_end: dt.date | None = None
    message_id: int | None = None


def _clean(value: Any) -> Any:
    """NUL characters from a sender or an attachment: PostgreSQL refuses them in text."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def arrival_date(settings: Settings, received_at: dt.datetime) -> dt.date:
    """Ankomstdatum: the day, in the registry's zone, on which the server received the mail."""
    return received_at.astimezone(settings.registry.zone).date()


def open_cases(session: Session) -> list[OpenCase]:
    rows = session.execute(
        select(Case.number, Case.year, Case.serial, Case.title, Case.organisation).where(
            Case.status == CaseStatus.OPEN
        )
    )
    return [OpenCase(*row) for row in rows]


def choose_case(session: Session, settings: Settings, new: NewDocument) -> CaseMatch:
    incoming = Incoming(
        subject=new.subject or "",
        replied_cases=new.replied_cases,
        form_reference=new.form_reference,
        title=new.title,
        organisation=new.organisation,
    )
    return match_case(settings.registry, incoming, open_cases(session))


def open_case(
    session: Session, settings: Settings, new: NewDocument, year: int, actor: str
) -> Case:
    serial = next_serial(session, f"case:{year}")
    case = Case(
        number=case_number(settings.registry, year, serial),
        year=year,
        serial=serial,
        title=new.title,
        organisation=new.organisation,
        contact_name=new.contact_name,
        contact_email=new.contact_email,
        status=CaseStatus.OPEN,
        period_end=new.period_end,
    )
    session.add(case)
    session.flush()
    log_event(session, actor, "case_opened", case=case, number=case.number)
    return case


# Any constant: the key of the PostgreSQL advisory lock that serialises case matching.
_REGISTER_LOCK_KEY = 0x43415345


def _serialise_registrations(session: Session) -> None:
    """Matching reads the open cases, then maybe opens one: two registrations of the same insats
    at once must not both open a case. SQLite's BEGIN IMMEDIATE already serialises writers; on
    PostgreSQL a transaction-scoped advisory lock does (released at commit or rollback)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTER_LOCK_KEY})


def register_document(
    session: Session, settings: Settings, new: NewDocument, actor: str | None = None
) -> Document:
    """File a new document in its case (opening one if needed) under the next diarienummer."""
    actor = actor or settings.registry.bot_actor
    new = NewDocument(**{k: _clean(v) if k != "received_at" else v for k, v in vars(new).items()})
    new.replied_cases = tuple(new.replied_cases)
    _serialise_registrations(session)
    received_date = arrival_date(settings, new.received_at)
    match = choose_case(session, settings, new)
    if match.number is None:
        case = open_case(session, settings, new, received_date.year, actor)
    else:
        case = session.execute(select(Case).where(Case.number == match.number)).scalar_one()
    serial = next_serial(session, f"doc:{case.id}")
    codes = {f.get("code") for f in new.findings}
    document = Document(
        diarienummer=document_number(settings.registry, case.year, case.serial, serial),
        case=case,
        serial=serial,
        kind=new.kind,
        received_at=new.received_at,
        received_date=received_date,
        sender=new.sender,
        subject=new.subject,
        title=new.title,
        organisation=new.organisation,
        fields=new.fields,
        sections=new.sections,
        findings=new.findings,
        submitter_signed=new.submitter_signed,
        status=(
            DocumentStatus.INCOMPLETE if codes & INCOMPLETE_CODES else DocumentStatus.REGISTERED
        ),
        message_id=new.message_id,
    )
    session.add(document)
    session.flush()
    if case.contact_email is None and new.contact_email:
        case.contact_email = new.contact_email
    if new.period_end and case.period_end is None:
        case.period_end = new.period_end
    log_event(
        session,
        actor,
        "document_registered",
        document=document,
        diarienummer=document.diarienummer,
        kind=document.kind,
        rule=match.rule,
        received_date=received_date.isoformat(),
    )
    if new.submitter_signed and new.kind == "slutrapport":
        # A query, not case.documents: a long-lived case must not load all its documents.
        earlier = session.scalars(
            select(Document).where(
                Document.case_id == case.id,
                Document.id != document.id,
                Document.kind == "slutrapport",
                Document.status == DocumentStatus.INCOMPLETE,
            )
        )
        for old in earlier:
            old.status = DocumentStatus.COMPLETED
            log_event(
                session,
                actor,
                "completed_by",
                document=old,
                by=document.diarienummer,
            )
    return document


def find_document(session: Session, settings: Settings, ref: str) -> Document:
    parts = parse_reference(settings.registry, ref)
    if parts is None or parts.doc is None:
        raise RegisterError(f"{ref!r} är inget dokumentnummer (t.ex. {example(settings)})")
    doc = session.execute(
        select(Document).where(Document.diarienummer == _canonical(settings, ref))
    ).scalar_one_or_none()
    if doc is None:
        raise RegisterError(f"det finns inget dokument {ref}")
    return doc


def find_case(session: Session, settings: Settings, ref: str) -> Case:
    parts = parse_reference(settings.registry, ref)
    if parts is None:
        raise RegisterError(f"{ref!r} är inget diarienummer (t.ex. {example(settings)})")
    case = session.execute(
        select(Case).where(Case.year == parts.year, Case.serial == parts.case)
    ).scalar_one_or_none()
    if case is None:
        raise RegisterError(f"det finns inget ärende {ref}")
    return case


def example(settings: Settings) -> str:
    return document_number(settings.registry, 2026, 1, 2)


def _canonical(settings: Settings, ref: str) -> str:
    parts = parse_reference(settings.registry, ref)
    assert parts is not None and parts.doc is not None
    return document_number(settings.registry, parts.year, parts.case, parts.doc)


def sign_document(session: Session, settings: Settings, ref: str, initials: str) -> Document:
    initials = check_initials(initials)
    doc = find_document(session, settings, ref)
    if doc.cancelled:
        raise RegisterError(f"{doc.diarienummer} är makulerat och kan inte signeras")
    if doc.signature:
        raise RegisterError(f"{doc.diarienummer} är redan signerat av {doc.signature}")
    doc.signature = initials
    doc.signed_at = utcnow()
    log_event(session, initials, "document_signed", document=doc, signature=initials)
    return doc


def cancel_document(
    session: Session, settings: Settings, ref: str, reason: str, actor: str
) -> Document:
    reason = reason.strip()
    if not reason:
        raise RegisterError("ange ett skäl för makuleringen (--reason)")
    doc = find_document(session, settings, ref)
    if doc.cancelled:
        raise RegisterError(f"{doc.diarienummer} är redan makulerat")
    doc.cancelled = True
    doc.cancel_reason = reason
    doc.status = DocumentStatus.CANCELLED
    log_event(session, actor, "document_cancelled", document=doc, reason=reason)
    return doc


def add_note(session: Session, settings: Settings, ref: str, text: str, actor: str) -> None:
    text = text.strip()
    if not text:
        raise RegisterError("anteckningen är tom")
    parts = parse_reference(settings.registry, ref)
    if parts is not None and parts.doc is not None:
        doc = find_document(session, settings, ref)
        log_event(session, actor, "note", document=doc, text=text)
    else:
        case = find_case(session, settings, ref)
        log_event(session, actor, "note", case=case, text=text)


def set_due_date(session: Session, settings: Settings, ref: str, due: dt.date, actor: str) -> Case:
    case = find_case(session, settings, ref)
    previous = case.due_date
    case.due_date = due
    log_event(
        session,
        actor,
        "due_date_set",
        case=case,
        due=due.isoformat(),
        previous=previous.isoformat() if previous else None,
    )
    return case
