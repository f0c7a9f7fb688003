"""Reading the register, and the JSON shapes of the outer interface.

Core queries on a plain connection: the read-only commands never load the ORM, which keeps
`casefile list` and `casefile show` quick to start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from casefile.config import Settings
from casefile.db.schema import attachments, cases, documents, events, messages
from casefile.errors import RegisterError
from casefile.numbering import document_number, parse_reference
from casefile.states import INBOX_STATES, AttachmentState, DocumentStatus


@dataclass(frozen=True)
class DocumentFilter:
    case_id: int | None = None
    status: DocumentStatus | None = None
    since: dt.date | None = None
    unsigned: bool = False
    problems: bool = False
    limit: int | None = 50


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def document_json(row: RowMapping, case_number: str) -> dict[str, Any]:
    return {
        "diarienummer": row["diarienummer"],
        "case": case_number,
        "received_date": row["received_date"].isoformat(),
        "received_at": row["received_at"].isoformat(),
        "kind": row["kind"],
        "title": row["title"],
        "organisation": row["organisation"],
        "sender": row["sender"],
        "subject": row["subject"],
        "submitter_signed": row["submitter_signed"],
        "signature": row["signature"],
        "signed_at": _iso(row["signed_at"]),
        "status": row["status"],
        "cancelled": row["cancelled"],
        "cancel_reason": row["cancel_reason"],
        "findings": row["findings"],
    }


_DOC_COLUMNS = [
    documents.c.id,
    documents.c.diarienummer,
    documents.c.received_date,
    documents.c.received_at,
    documents.c.kind,
    documents.c.title,
    documents.c.organisation,
    documents.c.sender,
    documents.c.subject,
    documents.c.submitter_signed,
    documents.c.signature,
    documents.c.signed_at,
    documents.c.status,
    documents.c.cancelled,
    documents.c.cancel_reason,
    documents.c.findings,
]


def list_documents(conn: Connection, flt: DocumentFilter) -> list[dict[str, Any]]:
    stmt = select(*_DOC_COLUMNS, cases.c.number.label("case_number")).join(
        cases, documents.c.case_id == cases.c.id
    )
    if flt.case_id is not None:
        stmt = stmt.where(documents.c.case_id == flt.case_id)
    if flt.status:
        stmt = stmt.where(documents.c.status == flt.status)
    if flt.since:
        stmt = stmt.where(documents.c.received_date >= flt.since)
    if flt.unsigned:
        stmt = stmt.where(documents.c.signature.is_(None), documents.c.cancelled.is_(False))
    if flt.problems:
        stmt = stmt.where(documents.c.status == DocumentStatus.INCOMPLETE)
    stmt = stmt.order_by(documents.c.received_at.desc(), documents.c.id.desc())
    if flt.limit:
        stmt = stmt.limit(flt.limit)
    return [document_json(row, row["case_number"]) for row in conn.execute(stmt).mappings()]


def case_row(conn: Connection, settings: Settings, ref: str) -> RowMapping:
    """The case a reference names (a case number or one of its document numbers)."""
    parts = parse_reference(settings.registry, ref)
    if parts is None:
        example = document_number(settings.registry, 2026, 1, 2)
        raise RegisterError(f"{ref!r} är inget diarienummer (t.ex. {example})")
    row = (
        conn.execute(select(cases).where(cases.c.year == parts.year, cases.c.serial == parts.case))
        .mappings()
        .first()
    )
    if row is None:
        raise RegisterError(f"det finns inget ärende {ref}")
    return row


def case_json(conn: Connection, case: RowMapping) -> dict[str, Any]:
    docs = list(
        conn.execute(
            select(*_DOC_COLUMNS)
            .where(documents.c.case_id == case["id"])
            .order_by(documents.c.serial)
        ).mappings()
    )
    files: dict[int, list[dict[str, Any]]] = {}
    if docs:
        for a in conn.execute(
            select(attachments)
            .where(attachments.c.document_id.in_([d["id"] for d in docs]))
            .order_by(attachments.c.id)
        ).mappings():
            files.setdefault(a["document_id"], []).append(
                {
                    "sha256": a["sha256"],
                    "filename": a["filename"],
                    "media_type": a["media_type"],
                    "size": a["size"],
                }
            )
    numbers = {d["id"]: d["diarienummer"] for d in docs}
    documents_out = []
    for d in docs:
        item = document_json(d, case["number"])
        item["files"] = files.get(d["id"], [])
        documents_out.append(item)
    history = conn.execute(
        select(events).where(events.c.case_id == case["id"]).order_by(events.c.at, events.c.id)
    ).mappings()
    return {
        "case": case["number"],
        "title": case["title"],
        "organisation": case["organisation"],
        "status": case["status"],
        "contact_email": case["contact_email"],
        "due_date": _iso(case["due_date"]),
        "opened_at": case["opened_at"].isoformat(),
        "closed_at": _iso(case["closed_at"]),
        "documents": documents_out,
        "events": [
            {
                "at": e["at"].isoformat(),
                "actor": e["actor"],
                "action": e["action"],
                "document": numbers.get(e["document_id"]) if e["document_id"] else None,
                "detail": e["detail"],
            }
            for e in history
        ],
    }


def inbox_json(conn: Connection, include_handled: bool = False) -> list[dict[str, Any]]:
    """Mail that needs a person: no report in it, or an attachment that could not be read."""
    stmt = select(messages).order_by(messages.c.internal_date.desc(), messages.c.id.desc())
    if not include_handled:
        quarantined = select(attachments.c.message_id).where(
            attachments.c.state == AttachmentState.QUARANTINED
        )
        stmt = stmt.where(messages.c.state.in_(INBOX_STATES) | messages.c.id.in_(quarantined))
    rows = list(conn.execute(stmt).mappings())
    by_message: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for a in conn.execute(
            select(attachments)
            .where(attachments.c.message_id.in_([m["id"] for m in rows]))
            .order_by(attachments.c.id)
        ).mappings():
            by_message.setdefault(a["message_id"], []).append(attachment_json(a))
    return [message_json(m, by_message.get(m["id"], [])) for m in rows]


def message_json(row: RowMapping, files: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "mailbox": row["mailbox"],
        "folder": row["folder"],
        "uid": row["uid"],
        "internal_date": row["internal_date"].isoformat(),
        "sender": row["sender"],
        "subject": row["subject"],
        "state": row["state"],
        "reason": row["reason"],
        "attachments": files,
    }


def attachment_json(a: RowMapping) -> dict[str, Any]:
    return {
        "id": a["id"],
        "filename": a["filename"],
        "media_type": a["media_type"],
        "size": a["size"],
        "sha256": a["sha256"],
        "state": a["state"],
        "error": a["error"],
    }
