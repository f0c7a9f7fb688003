"""Registering documents and the staff's acts on them (sign, cancel, note, due date).

Every function works inside the caller's transaction and writes its event to the audit log there,
so a registration and its log entry (and its queued acknowledgement) commit together or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Case, Document, SourceMessage, utcnow
from casefile.errors import RegisterError
from casefile.events import log_event
from casefile.initials import check_initials
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
from casefile.states import AuthVerdict, CaseStatus, DocumentStatus

INCOMPLETE_CODES = frozenset({"unsigned", "missing_field"})
__all__ = ["NewDocument", "RegisterError", "check_initials", "register_document"]

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
            Document.direction == "in",
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
        from casefile.search import refresh_document

        refresh_document(session, doc.id)
    else:
        case = find_case(session, settings, ref)
        log_event(session, actor, "note", case=case, text=text)
        from casefile.search import refresh_case

        refresh_case(session, case.id)


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


# A plain addr-spec, as staff type it: no display name, no spaces, one @, a dotted domain.
ADDRESS_RE = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def confirm_contact(
    session: Session, settings: Settings, ref: str, address: str, actor: str
) -> Case:
    """Staff confirm the address that reminders and completion requests of a case go to."""
    address = address.strip()
    if not ADDRESS_RE.match(address) or len(address) > 254:
        raise RegisterError(f"{address!r} är ingen e-postadress (t.ex. anna.berg@kommun.se)")
    case = find_case(session, settings, ref)
    previous = case.confirmed_contact_email
    case.confirmed_contact_email = address
    case.confirmed_contact_by = actor
    log_event(
        session,
        actor,
        "contact_confirmed",
        case=case,
        address=address,
        previous=previous,
        candidate=case.contact_email,
    )
    return case


@dataclass(frozen=True)
class Moved:
    diarienummer: str
    from_case: str
    to_case: str


def move_document(
    session: Session, settings: Settings, ref: str, target_ref: str, actor: str
) -> Moved:
    """File a document in another case. It keeps its diarienummer: numbers are never changed."""
    document = find_document(session, settings, ref)
    target = find_case(session, settings, target_ref)
    source = document.case
    if target.id == source.id:
        raise RegisterError(f"{document.diarienummer} ligger redan i {target.number}")
    if target.status != CaseStatus.OPEN:
        raise RegisterError(f"ärendet {target.number} är avslutat; öppna det igen först")
    moved = Moved(document.diarienummer, source.number, target.number)
    detail: dict[str, Any] = {
        "diarienummer": moved.diarienummer,
        "from": moved.from_case,
        "to": moved.to_case,
    }
    # Both histories tell the move: the old case where the document went, the new where from.
    log_event(session, actor, "document_moved", case=source, document=document, **detail)
    document.case = target
    session.flush()
    log_event(session, actor, "document_moved", case=target, document=document, **detail)
    if document.flag and source.flag == document.flag:
        source.flag = None
    document.flag = None  # staff have decided where it belongs
    return moved


# --- The registrar's acts on cases and documents (close, correct, unsign, secrecy, dismiss). ---

# What `casefile correct` may change, and how a value is read.
CORRECTABLE: dict[str, str] = {
    "title": "text",
    "organisation": "text",
    "kind": "kind",
    "period_start": "date",
    "period_end": "date",
    "granted_sek": "amount",
    "spent_sek": "amount",
    "workplace": "text",
    "contact_name": "text",
    "contact_phone": "text",
    "contact_email": "text",
    "postal_code": "text",
    "postal_town": "text",
    "submitter_date": "date",
    "submitter_name": "text",
}
KINDS = ("slutrapport", "delrapport", "ansokan", "unknown")


def close_case(
    session: Session, settings: Settings, ref: str, reason: str | None, actor: str
) -> tuple[Case, int]:
    """Avsluta: no reminders or completion requests after this. Queued ones are suppressed;
    returns the case and how many queued mails were stopped."""
    from casefile.db.models import OutboxMail

    case = find_case(session, settings, ref)
    if case.status == "closed":
        raise RegisterError(f"{case.number} är redan avslutat")
    reason = (reason or "").strip() or None
    case.status = "closed"
    case.closed_at = utcnow()
    case.close_reason = reason
    stopped = 0
    for row in session.scalars(
        select(OutboxMail).where(
            OutboxMail.case_id == case.id,
            OutboxMail.state == "queued",
            OutboxMail.kind.in_(("paminnelse", "komplettering")),
        )
    ):
        row.state = "suppressed"
        row.last_error = f"ärendet avslutades ({reason})" if reason else "ärendet avslutades"
        stopped += 1
    log_event(session, actor, "case_closed", case=case, reason=reason, stopped_mail=stopped)
    return case, stopped


def reopen_case(session: Session, settings: Settings, ref: str, actor: str) -> Case:
    case = find_case(session, settings, ref)
    if case.status != "closed":
        raise RegisterError(f"{case.number} är inte avslutat")
    previous = case.close_reason
    case.status = "open"
    case.closed_at = None
    case.close_reason = None
    log_event(session, actor, "case_reopened", case=case, previous_reason=previous)
    return case


def _parse_value(field_name: str, value: str) -> Any:
    kind = CORRECTABLE[field_name]
    value = value.strip()
    if kind == "date":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise RegisterError(f"{value!r} är inget datum (ÅÅÅÅ-MM-DD)") from None
    if kind == "amount":
        digits = re.sub(r"[\s\u00a0\u202f]|kr$|:-$", "", value)
        if not digits.isdigit():
            raise RegisterError(f"{value!r} är inget belopp i hela kronor")
        return int(digits)
    if kind == "kind":
        if value not in KINDS:
            raise RegisterError(f"okänd typ {value!r}: {', '.join(KINDS)}")
        return value
    if not value:
        raise RegisterError("värdet är tomt")
    return value


def _signed_again(doc: Document) -> bool:
    """`submitter_signed` after a correction: the stored signature evidence with section 8's
    date and name read again (or those alone for a document registered before evidence)."""
    from intake.extract.signatures import SIGNED, STORED_ENTRIES, STORED_STATUS, weigh

    fields = dict(doc.fields or {})
    if not fields.get(STORED_STATUS):
        return bool(fields.get("submitter_date")) and bool(fields.get("submitter_name"))
    entries, status, _ = weigh(fields, fields.get(STORED_ENTRIES) or [], [])
    doc.fields = {**fields, STORED_ENTRIES: entries, STORED_STATUS: status}
    return status in SIGNED


def _recomputed_findings(doc: Document, corrected: str) -> list[dict[str, Any]]:
    """The extraction's checks run again on the corrected fields. An unreadable value of another
    field stays as it was (its raw text is only in the old message)."""
    from intake.extract.findings import _signature_section, for_registration
    from intake.extract.findings import findings as check
    from intake.extract.forms import default_form, load_forms
    from intake.extract.signatures import STORED_ENTRIES, STORED_STATUS, weigh

    form = next((f for f in load_forms() if f.document_type == doc.kind), default_form())
    touched = {corrected, "period"} if corrected.startswith("period_") else {corrected}
    old = list(doc.findings or [])
    unreadable = {
        str(f.get("field")): f
        for f in old
        if f.get("code") == "unreadable_value" and f.get("field") not in touched
    }
    sections = {str(k): str(v) for k, v in (doc.sections or {}).items()}
    found = {k for k, v in sections.items() if v}
    sign = _signature_section(form)
    if sign and not any(
        f.get("code") == "unsigned" and "saknas i rapporten" in str(f.get("message")) for f in old
    ):
        found.add(sign)
    fresh = check(
        doc.kind, dict(doc.fields or {}), sections, {k: "" for k in unreadable}, form, found
    )
    fields = dict(doc.fields or {})
    if fields.get(STORED_STATUS):  # an e-signed report is never asked to type a name
        _, _, fresh = weigh(fields, fields.get(STORED_ENTRIES) or [], fresh)
    out = []
    for f in fresh:
        if f.code == "unreadable_value" and f.field in unreadable:
            out.append(unreadable[f.field])
        else:
            out.append(f.to_json())
    # What the checks cannot see again (an unrecognised form, an unreadable file) stays.
    rechecked = {f.code for f in fresh} | _CHECKED_CODES
    out.extend(f for f in old if f.get("code") not in rechecked)
    # As at registration: a form we did not recognise never asks the sender for a completion.
    return for_registration(out)


_CHECKED_CODES = frozenset(
    {
        "unknown_document",
        "not_final_report",
        "unreadable_value",
        "missing_field",
        "overspent",
        "underspent_unexplained",
        "period_inconsistent",
        "unsigned",
        "possible_personnummer",
    }
)


def correct_field(
    session: Session, settings: Settings, ref: str, field_name: str, value: str, actor: str
) -> tuple[Document, Any, Any]:
    """Correct one extracted field; the history keeps old and new. Findings, status and the
    case's insats period (which the computed due date rests on) follow."""
    if field_name not in CORRECTABLE:
        raise RegisterError(
            f"fältet {field_name!r} kan inte rättas; välj bland: {', '.join(CORRECTABLE)}"
        )
    doc = find_document(session, settings, ref)
    if doc.cancelled:
        raise RegisterError(f"{doc.diarienummer} är makulerat och kan inte rättas")
    new = _parse_value(field_name, value)
    fields = dict(doc.fields or {})
    old: Any = doc.kind if field_name == "kind" else fields.get(field_name)
    if field_name in ("title", "organisation"):
        old = getattr(doc, field_name) or fields.get(field_name)
    if old == new:
        raise RegisterError(f"{field_name} är redan {new}")
    if field_name == "kind":
        doc.kind = new
    else:
        fields[field_name] = new
        doc.fields = fields
    if field_name in ("title", "organisation"):
        setattr(doc, field_name, new)
    doc.findings = _recomputed_findings(doc, field_name)
    doc.submitter_signed = _signed_again(doc)
    if doc.status in ("registered", "incomplete"):
        codes = {f.get("code") for f in doc.findings}
        doc.status = "incomplete" if codes & INCOMPLETE_CODES else "registered"
    case = doc.case
    due_before = case.period_end
    if field_name == "period_end":
        case.period_end = dt.date.fromisoformat(new)
    log_event(
        session,
        actor,
        "field_corrected",
        document=doc,
        field=field_name,
        old=old,
        new=new,
        period_end_before=due_before.isoformat() if due_before else None,
    )
    from casefile.search import refresh_document

    refresh_document(session, doc.id)
    return doc, old, new


# Corrected on its own (correct_received_date): the registry's date, with a reason.
RECEIVED_DATE = "received_date"


def correct_received_date(
    session: Session, settings: Settings, ref: str, value: str, reason: str | None, actor: str
) -> tuple[Document, str, str]:
    """Ankomstdatum set by staff (a forwarded report that reached the office before the
    forward): a reason is required, old → new goes into the history, the number stays.
    `received_at` keeps when our server got the mail."""
    reason = (reason or "").strip()
    if not reason:
        raise RegisterError("ange ett skäl (--reason) för ett ändrat ankomstdatum")
    try:
        new = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RegisterError(f"{value!r} är inget datum (ÅÅÅÅ-MM-DD)") from None
    doc = find_document(session, settings, ref)
    if doc.cancelled:
        raise RegisterError(f"{doc.diarienummer} är makulerat och kan inte rättas")
    old = doc.received_date
    if old == new:
        raise RegisterError(f"{RECEIVED_DATE} är redan {new.isoformat()}")
    if new > arrival_date(settings, doc.received_at):
        raise RegisterError(
            f"ankomstdatum {new.isoformat()} är efter den dag posten kom till oss "
            f"({arrival_date(settings, doc.received_at).isoformat()})"
        )
    doc.received_date = new
    log_event(
        session,
        actor,
        "field_corrected",
        document=doc,
        field=RECEIVED_DATE,
        old=old.isoformat(),
        new=new.isoformat(),
        reason=reason,
    )
    from casefile.search import refresh_document

    refresh_document(session, doc.id)
    return doc, old.isoformat(), new.isoformat()


def unsign_document(
    session: Session, settings: Settings, ref: str, reason: str, actor: str
) -> Document:
    reason = reason.strip()
    if not reason:
        raise RegisterError("ange ett skäl (--reason)")
    doc = find_document(session, settings, ref)
    if not doc.signature:
        raise RegisterError(f"{doc.diarienummer} är inte signerat")
    previous = doc.signature
    doc.signature = None
    doc.signed_at = None
    log_event(session, actor, "document_unsigned", document=doc, previous=previous, reason=reason)
    return doc


def mark_secrecy(
    session: Session,
    settings: Settings,
    ref: str,
    provision: str,
    public_title: str | None,
    actor: str,
) -> Document:
    """OSL 5:5: the document holds secret information under `provision`; public listings show
    `public_title` instead of its title."""
    provision = provision.strip()
    if not provision:
        raise RegisterError('ange bestämmelsen (--provision), t.ex. "OSL 26 kap. 1 §"')
    doc = find_document(session, settings, ref)
    previous = doc.secrecy_provision
    doc.secrecy_provision = provision
    doc.secrecy_public_title = (public_title or "").strip() or None
    doc.secrecy_at = utcnow()
    doc.secrecy_by = actor
    log_event(
        session,
        actor,
        "secrecy_marked",
        document=doc,
        provision=provision,
        public_title=doc.secrecy_public_title,
        previous=previous,
    )
    return doc


def dismiss_message(session: Session, source_message_id: int, reason: str, actor: str) -> Any:
    """A message needs no registration: it leaves the inbox and the digest, the reason is kept."""
    from casefile.db.models import SourceMessage

    reason = reason.strip()
    if not reason:
        raise RegisterError("ange ett skäl (--reason)")
    msg = session.get(SourceMessage, source_message_id)
    if msg is None:
        raise RegisterError(f"det finns ingen post med id {source_message_id}")
    if msg.dismissed_at is not None:
        raise RegisterError(f"post {source_message_id} är redan avförd ({msg.dismiss_reason})")
    msg.dismissed_at = utcnow()
    msg.dismissed_by = actor
    msg.dismiss_reason = reason
    log_event(session, actor, "message_dismissed", message=msg, reason=reason)
    return msg


def record_manual(
    session: Session,
    doc: Document,
    actor: str,
    channel: str,
    direction: str,
    filename: str,
    sha256: str,
    size: int,
) -> None:
    """What a registration by hand adds: how it came, who registered it, the archived file."""
    doc.channel = channel
    doc.direction = direction
    doc.registered_by = actor
    log_event(
        session,
        actor,
        "registered_by_hand",
        document=doc,
        channel=channel,
        direction=direction,
        file={"filename": filename, "sha256": sha256, "size": size},
    )
