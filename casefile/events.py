"""The audit log. Rows are only ever added."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from casefile.db.models import Case, Document, Event, SourceMessage


def log_event(
    session: Session,
    actor: str,
    action: str,
    *,
    case: Case | None = None,
    document: Document | None = None,
    message: SourceMessage | None = None,
    **detail: Any,
) -> Event:
    if document is not None and case is None:
        case = document.case
    event = Event(
        actor=actor,
        action=action,
        case_id=case.id if case is not None else None,
        document_id=document.id if document is not None else None,
        source_message_id=message.id if message is not None else None,
        detail=detail,
    )
    session.add(event)
    return event
