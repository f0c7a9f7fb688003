"""Reading the register, and the JSON shapes of the outer interface."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casefile.db.models import Attachment, Case, Document, Event, SourceMessage


@dataclass(frozen=True)
class DocumentFilter:
    case: Case | None = None
    status: str | None = None
    since: dt.date | None = None
    unsigned: bool = False
    problems: bool = False
    limit: int | None = 50


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def document_json(doc: Document, case_number: str) -> dict[str, Any]:
    return {
        "diarienummer": doc.diarienummer,
        "case": case_number,
        "received_date": doc.received_date.isoformat(),
        "received_at": doc.received_at.isoformat(),
        "kind": doc.kind,
        "title": doc.title,
        "organisation": doc.organisation,
        "sender": doc.sender,
        "subject": doc.subject,
        "submitter_signed": doc.submitter_signed,
        "signature": doc.signature,
        "signed_at": _iso(doc.signed_at),
        "status": doc.status,
        "cancelled": doc.cancelled,
        "cancel_reason": doc.cancel_reason,
        "findings": doc.findings,
    }


def _document_query(flt: DocumentFilter) -> Any:
    # Typed as Any: Select's type parameters differ between SQLAlchemy 2.0 and 2.1.
    stmt = select(Document, Case.number).join(Case, Document.case_id == Case.id)
    if flt.case is not None:
        stmt = stmt.where(Document.case_id == flt.case.id)
    if flt.status:
        stmt = stmt.where(Document.status == flt.status)
    if flt.since:
        stmt = stmt.where(Document.received_date >= flt.since)
    if flt.unsigned:
        stmt = stmt.where(Document.signature.is_(None), Document.cancelled.is_(False))
    if flt.problems:
        stmt = stmt.where(Document.status == "incomplete")
    stmt = stmt.order_by(Document.received_at.desc(), Document.id.desc())
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    return stmt


def list_documents(session: Session, flt: DocumentFilter) -> list[dict[str, Any]]:
    return [document_json(doc, number) for doc, number in session.execute(_document_query(flt))]


def case_json(session: Session, case: Case) -> dict[str, Any]:
    docs = session.execute(
        select(Document)
        .where(Document.case_id == case.id)
        .order_by(Document.serial)
        .options(selectinload(Document.attachments))
    ).scalars()
    documents = []
    for doc in docs:
        item = document_json(doc, case.number)
        item["files"] = [
            {"sha256": a.sha256, "filename": a.filename, "media_type": a.media_type, "size": a.size}
            for a in doc.attachments
        ]
        documents.append(item)
    events = session.execute(
        select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)
    ).scalars()
    return {
        "case": case.number,
        "title": case.title,
        "organisation": case.organisation,
        "status": case.status,
        "contact_email": case.contact_email,
        "due_date": _iso(case.due_date),
        "opened_at": case.opened_at.isoformat(),
        "closed_at": _iso(case.closed_at),
        "documents": documents,
        "events": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "document": _doc_number(session, e.document_id),
                "detail": e.detail,
            }
            for e in events
        ],
    }


def _doc_number(session: Session, document_id: int | None) -> str | None:
    if document_id is None:
        return None
    return session.get(Document, document_id).diarienummer  # type: ignore[union-attr]


PROBLEM_STATES = ("no_report", "quarantined", "failed")


def inbox_json(session: Session, include_handled: bool = False) -> list[dict[str, Any]]:
    """Mail that needs a person: no report in it, or an attachment that could not be read."""
    stmt = (
        select(SourceMessage)
        .options(selectinload(SourceMessage.attachments))
        .order_by(SourceMessage.internal_date.desc(), SourceMessage.id.desc())
    )
    if not include_handled:
        stmt = stmt.where(SourceMessage.state.in_(PROBLEM_STATES))
    return [message_json(m) for m in session.execute(stmt).scalars()]


def message_json(message: SourceMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "mailbox": message.mailbox,
        "folder": message.folder,
        "uid": message.uid,
        "internal_date": message.internal_date.isoformat(),
        "sender": message.sender,
        "subject": message.subject,
        "state": message.state,
        "reason": message.reason,
        "attachments": [attachment_json(a) for a in message.attachments],
    }


def attachment_json(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "media_type": a.media_type,
        "size": a.size,
        "sha256": a.sha256,
        "state": a.state,
        "error": a.error,
    }
