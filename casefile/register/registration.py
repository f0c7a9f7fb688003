"""Registering documents: choosing or opening the case, numbering, and finding a case or a
document by its reference.

Every function works inside the caller's transaction and writes its event to the audit log there,
so a registration and its log entry (and its queued acknowledgement) commit together or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Case, Document, SourceMessage
from casefile.errors import RegisterError
from casefile.events import log_event
from casefile.matching import (
    CaseMatch,
    Incoming,
    OpenCase,
    candidate_numbers,
    match_case,
    same_insats_flag,
    same_party,
)
from casefile.numbering import case_number, document_number, next_serial, parse_reference
from casefile.states import AuthVerdict, CaseStatus, Direction, DocumentStatus

INCOMPLETE_CODES = frozenset({"unsigned", "missing_field"})

UNVERIFIED_FLAG = "avsändaren kunde inte verifieras"


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
    source_message_id: int | None = None
    # verified | failed | unknown; None: taken from the message, or not judged (staff's own).
    sender_verdict: str | None = None


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
        select(
            Case.number, Case.year, Case.serial, Case.title, Case.organisation, Case.period_end
        ).where(Case.status == CaseStatus.OPEN)
    )
    return [OpenCase(*row[:5], period_end=row[5]) for row in rows]


def _period_end(new: NewDocument) -> dt.date | None:
    """The insats period's end: as intake read it, else from the fields (a paper report)."""
    if new.period_end is not None:
        return new.period_end
    try:
        return dt.date.fromisoformat(str(new.fields.get("period_end") or ""))
    except ValueError:
        return None


def case_parties(session: Session, numbers: set[str]) -> dict[str, tuple[str, ...]]:
    """Per case: the addresses that speak for it (senders of its documents, confirmed contact)."""
    if not numbers:
        return {}
    found: dict[str, set[str]] = {number: set() for number in numbers}
    for number, sender in session.execute(
        select(Case.number, Document.sender)
        .join(Document, Document.case_id == Case.id)
        .where(
            Case.number.in_(numbers),
            Document.cancelled.is_(False),
            Document.direction == Direction.IN,
            Document.sender.is_not(None),
        )
        .distinct()
    ):
        if sender:
            found[number].add(sender)
    for number, contact in session.execute(
        select(Case.number, Case.confirmed_contact_email).where(
            Case.number.in_(numbers), Case.confirmed_contact_email.is_not(None)
        )
    ):
        if contact:
            found[number].add(contact)
    return {number: tuple(sorted(parties)) for number, parties in found.items()}


def choose_case(session: Session, settings: Settings, new: NewDocument) -> CaseMatch:
    incoming = Incoming(
        subject=new.subject or "",
        replied_cases=new.replied_cases,
        form_reference=new.form_reference,
        title=new.title,
        organisation=new.organisation,
        sender=new.sender,
        period_end=_period_end(new),
    )
    cases = open_cases(session)
    # Parties are loaded only for the few cases the message could join, not for every case.
    parties = case_parties(session, candidate_numbers(settings.registry, incoming, cases))
    cases = [
        dataclasses.replace(case, parties=parties[case.number]) if case.number in parties else case
        for case in cases
    ]
    return match_case(settings.registry, incoming, cases)


def _verdict_of(session: Session, new: NewDocument) -> str | None:
    if new.sender_verdict is not None or new.source_message_id is None:
        return new.sender_verdict
    message = session.get(SourceMessage, new.source_message_id)
    if message is None:
        return None
    return message.auth_verdict or AuthVerdict.UNKNOWN


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
    session: Session,
    settings: Settings,
    new: NewDocument,
    actor: str | None = None,
    into: Case | None = None,
) -> Document:
    """File a new document in its case (opening one if needed) under the next diarienummer.

    `into`: the case staff named (casefile register --case); matching is then not asked."""
    actor = actor or settings.registry.bot_actor
    new = NewDocument(**{k: _clean(v) if k != "received_at" else v for k, v in vars(new).items()})
    new.replied_cases = tuple(new.replied_cases)
    _serialise_registrations(session)
    received_date = arrival_date(settings, new.received_at)
    match = (
        CaseMatch(into.number, "staff") if into is not None else choose_case(session, settings, new)
    )
    if match.number is None:
        case = open_case(session, settings, new, received_date.year, actor)
    else:
        case = session.execute(select(Case).where(Case.number == match.number)).scalar_one()
    serial = next_serial(session, f"doc:{case.id}")
    codes = {f.get("code") for f in new.findings}
    diarienummer = document_number(settings.registry, case.year, case.serial, serial)
    if match.same_insats_as is not None:
        match = dataclasses.replace(
            match, flag=same_insats_flag(match.same_insats_as, diarienummer)
        )
    document = Document(
        diarienummer=diarienummer,
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
        source_message_id=new.source_message_id,
        sender_verdict=_verdict_of(session, new),
    )
    flags = [match.flag] if match.flag else []
    if document.sender_verdict == AuthVerdict.FAILED:
        flags.append(UNVERIFIED_FLAG)
    if flags:
        document.flag = "; ".join(flags)
    if match.flag:
        case.flag = match.flag
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
    if document.flag:
        log_event(session, actor, "document_flagged", document=document, flag=document.flag)
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
            # Only the same party completes a report: a stranger's signed report must not stop
            # the reminders of someone else's incomplete one.
            parties = tuple(p for p in (old.sender, case.confirmed_contact_email) if p)
            if not same_party(new.sender, parties):
                continue
            old.status = DocumentStatus.COMPLETED
            log_event(
                session,
                actor,
                "completed_by",
                document=old,
                by=document.diarienummer,
            )
    _index_new(session, document)
    return document


def _index_new(session: Session, document: Document) -> None:
    from casefile.search import refresh_case, refresh_document

    refresh_document(session, document.id)
    if document.serial == 1:
        refresh_case(session, document.case_id)


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
