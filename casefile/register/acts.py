"""The registrar's acts on registered documents and cases: sign, cancel, note, due date,
contact, move, close and reopen, corrections, secrecy, dismissal and manual records.

Like registration, every act works inside the caller's transaction and logs its event there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Case, Document, SourceMessage, utcnow
from casefile.errors import RegisterError
from casefile.events import log_event
from casefile.initials import check_initials
from casefile.numbering import parse_reference
from casefile.register.registration import (
    find_case,
    find_document,
)
from casefile.states import CaseStatus, DocumentStatus, MailKind, OutboxState


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


# --- The registrar's acts on cases and documents (close, unsign, secrecy, dismiss). ---


def close_case(
    session: Session, settings: Settings, ref: str, reason: str | None, actor: str
) -> tuple[Case, int]:
    """Avsluta: no reminders or completion requests after this. Queued ones are suppressed;
    returns the case and how many queued mails were stopped."""
    from casefile.db.models import OutboxMail

    case = find_case(session, settings, ref)
    if case.status == CaseStatus.CLOSED:
        raise RegisterError(f"{case.number} är redan avslutat")
    reason = (reason or "").strip() or None
    case.status = CaseStatus.CLOSED
    case.closed_at = utcnow()
    case.close_reason = reason
    stopped = 0
    for row in session.scalars(
        select(OutboxMail).where(
            OutboxMail.case_id == case.id,
            OutboxMail.state == OutboxState.QUEUED,
            OutboxMail.kind.in_((MailKind.PAMINNELSE, MailKind.KOMPLETTERING)),
        )
    ):
        row.state = OutboxState.SUPPRESSED
        row.last_error = f"ärendet avslutades ({reason})" if reason else "ärendet avslutades"
        stopped += 1
    log_event(session, actor, "case_closed", case=case, reason=reason, stopped_mail=stopped)
    return case, stopped


def reopen_case(session: Session, settings: Settings, ref: str, actor: str) -> Case:
    case = find_case(session, settings, ref)
    if case.status != CaseStatus.CLOSED:
        raise RegisterError(f"{case.number} är inte avslutat")
    previous = case.close_reason
    case.status = CaseStatus.OPEN
    case.closed_at = None
    case.close_reason = None
    log_event(session, actor, "case_reopened", case=case, previous_reason=previous)
    return case


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
