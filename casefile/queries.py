"""Reading the register, and the JSON shapes of the outer interface.

Core queries on a plain connection: the read-only commands never load the ORM, which keeps
`casefile list` and `casefile show` quick to start.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from casefile.clock import iso
from casefile.config import Settings
from casefile.db.schema import attachments, cases, documents, events, messages
from casefile.due import due_source_text as due_source_text  # re-exported for cli.py
from casefile.due import effective_due as effective_due  # re-exported
from casefile.errors import RegisterError
from casefile.numbering import document_number, parse_reference
from casefile.states import (
    INBOX_STATES,
    AttachmentState,
    AuthVerdict,
    CaseStatus,
    DocumentKind,
    DocumentStatus,
)


@dataclass(frozen=True)
class DocumentFilter:
    case_id: int | None = None
    status: DocumentStatus | None = None
    since: dt.date | None = None
    unsigned: bool = False
    problems: bool = False
    limit: int | None = 50
    until: dt.date | None = None
    org: str | None = None
    kind: str | None = None
    # Rows skipped before the first one returned (the web list's pages).
    offset: int = 0


def document_json(row: RowMapping, case_number: str) -> dict[str, Any]:
    from intake.extract.signatures import register_view as signature_view

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
        "signed_at": iso(row["signed_at"]),
        "status": row["status"],
        "cancelled": row["cancelled"],
        "cancel_reason": row["cancel_reason"],
        "findings": row["findings"],
        "direction": row["direction"],
        "channel": row["channel"],
        "registered_by": row["registered_by"],
        "secrecy": (
            {
                "provision": row["secrecy_provision"],
                "public_title": row["secrecy_public_title"],
                "at": iso(row["secrecy_at"]),
                "by": row["secrecy_by"],
            }
            if row["secrecy_provision"]
            else None
        ),
        "sender_verdict": row["sender_verdict"],
        "flag": row["flag"],
        # Signature evidence (issue 29), kept in the document's fields JSON; names and times
        # only, never a certificate's serialNumber (it may be a personnummer).
        **signature_view(row["fields"] or {}, row["submitter_signed"]),
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
    documents.c.direction,
    documents.c.channel,
    documents.c.registered_by,
    documents.c.secrecy_provision,
    documents.c.secrecy_public_title,
    documents.c.secrecy_at,
    documents.c.secrecy_by,
    documents.c.sender_verdict,
    documents.c.flag,
    documents.c.fields,
]


def _filtered(stmt: Any, flt: DocumentFilter) -> Any:
    if flt.case_id is not None:
        stmt = stmt.where(documents.c.case_id == flt.case_id)
    if flt.status:
        stmt = stmt.where(documents.c.status == flt.status)
    if flt.since:
        stmt = stmt.where(documents.c.received_date >= flt.since)
    if flt.until:
        stmt = stmt.where(documents.c.received_date <= flt.until)
    if flt.org:
        stmt = stmt.where(func.lower(documents.c.organisation).contains(flt.org.lower()))
    if flt.kind:
        stmt = stmt.where(documents.c.kind == flt.kind)
    if flt.unsigned:
        stmt = stmt.where(documents.c.signature.is_(None), documents.c.cancelled.is_(False))
    if flt.problems:
        stmt = stmt.where(documents.c.status == DocumentStatus.INCOMPLETE)
    return stmt


def list_documents(conn: Connection, flt: DocumentFilter) -> list[dict[str, Any]]:
    stmt = select(*_DOC_COLUMNS, cases.c.number.label("case_number")).join(
        cases, documents.c.case_id == cases.c.id
    )
    order = (documents.c.received_at.desc(), documents.c.id.desc())
    if flt.offset:
        # A deep page: skip rows on the (received_at, id) index alone, then read the page's
        # rows whole (OFFSET over full rows read and dropped 100,000 of them on PostgreSQL).
        page = _filtered(select(documents.c.id), flt).order_by(*order).offset(flt.offset)
        if flt.limit:
            page = page.limit(flt.limit)
        stmt = stmt.where(documents.c.id.in_(page.scalar_subquery()))
    else:
        stmt = _filtered(stmt, flt)
        if flt.limit:
            stmt = stmt.limit(flt.limit)
    stmt = stmt.order_by(*order)
    return [document_json(row, row["case_number"]) for row in conn.execute(stmt).mappings()]


def count_documents(conn: Connection, flt: DocumentFilter) -> int:
    """How many documents the filter matches without its limit."""
    stmt = _filtered(select(func.count()).select_from(documents), flt)
    return int(conn.execute(stmt).scalar_one())


def overdue_cases(conn: Connection, settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    """Open cases whose slutrapport is due today or earlier and has not come in."""
    has_final = (
        select(documents.c.id)
        .where(
            documents.c.case_id == cases.c.id,
            documents.c.kind == DocumentKind.SLUTRAPPORT,
            documents.c.cancelled.is_(False),
        )
        .exists()
    )
    rows = conn.execute(
        select(cases)
        .where(
            cases.c.status == CaseStatus.OPEN,
            (cases.c.due_date.is_not(None)) | (cases.c.period_end.is_not(None)),
            ~has_final,
        )
        .order_by(cases.c.year, cases.c.serial)
    ).mappings()
    out = []
    for c in rows:
        due, source = effective_due(settings, c["due_date"], c["period_end"])
        if due is None or due > today:
            continue
        out.append(
            {
                "case": c["number"],
                "title": c["title"],
                "organisation": c["organisation"],
                "due_date": due.isoformat(),
                "due_source": source,
                "days_overdue": (today - due).days,
                "contact_email": c["confirmed_contact_email"] or c["contact_email"],
            }
        )
    out.sort(key=lambda r: (r["due_date"], r["case"]))
    return out


def case_row(conn: Connection, settings: Settings, ref: str) -> RowMapping:
    """The case a reference names (a case number or one of its document numbers)."""
    parts = parse_reference(settings.registry, ref)
    if parts is None:
        example = document_number(settings.registry, 2026, 1, 2)
        raise RegisterError(f"{ref!r} är inget diarienummer (t.ex. {example})")
    if parts.doc is not None:
        # A document shows the case it is in now: `casefile move` may have moved it.
        number = document_number(settings.registry, parts.year, parts.case, parts.doc)
        found = (
            conn.execute(
                select(cases)
                .join(documents, documents.c.case_id == cases.c.id)
                .where(documents.c.diarienummer == number)
            )
            .mappings()
            .first()
        )
        if found is not None:
            return found
    row = (
        conn.execute(select(cases).where(cases.c.year == parts.year, cases.c.serial == parts.case))
        .mappings()
        .first()
    )
    if row is None:
        raise RegisterError(f"det finns inget ärende {ref}")
    if parts.doc is not None:
        # The document was not found above (in any case): a number that does not exist.
        number = document_number(settings.registry, parts.year, parts.case, parts.doc)
        raise RegisterError(f"det finns ingen handling {number} (ärendet {row['number']} finns)")
    return row


def case_json(
    conn: Connection, case: RowMapping, settings: Settings | None = None
) -> dict[str, Any]:
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
        # A document registered by hand came with no message, so no attachment row: its file
        # is named in the registration's event.
        for e in conn.execute(
            select(events.c.document_id, events.c.detail).where(
                events.c.action == "registered_by_hand",
                events.c.document_id.in_([d["id"] for d in docs if d["id"] not in files]),
            )
        ).mappings():
            file = (e["detail"] or {}).get("file") if isinstance(e["detail"], dict) else None
            if isinstance(file, dict):
                name = file.get("filename")
                files.setdefault(e["document_id"], []).append(
                    {
                        "sha256": file.get("sha256"),
                        "filename": name,
                        "media_type": mimetypes.guess_type(str(name))[0] if name else None,
                        "size": file.get("size"),
                    }
                )
    reports = _validation_reports(conn, [d["id"] for d in docs])
    numbers = {d["id"]: d["diarienummer"] for d in docs}
    documents_out = []
    for d in docs:
        item = document_json(d, case["number"])
        item["files"] = files.get(d["id"], [])
        item["validation_report"] = reports.get(d["id"])
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
        "confirmed_contact_email": case["confirmed_contact_email"],
        "confirmed_contact_by": case["confirmed_contact_by"],
        "flag": case["flag"],
        "due_date": iso(case["due_date"]),
        "period_end": iso(case["period_end"]),
        "opened_at": case["opened_at"].isoformat(),
        "closed_at": iso(case["closed_at"]),
        "close_reason": case["close_reason"],
        **_due_json(settings, case),
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


def _validation_reports(conn: Connection, doc_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per document: the kept validation report of its e-signatures (issue 29; the file
    casefile.signature_report stored at arrival), the latest check's when there are more."""
    out: dict[int, dict[str, Any]] = {}
    if not doc_ids:
        return out
    for e in conn.execute(
        select(events.c.document_id, events.c.detail)
        .where(events.c.action == "signature_validated", events.c.document_id.in_(doc_ids))
        .order_by(events.c.id)
    ).mappings():
        detail = e["detail"] if isinstance(e["detail"], dict) else {}
        file = detail.get("file")
        if isinstance(file, dict) and isinstance(file.get("sha256"), str):
            out[e["document_id"]] = {
                "filename": file.get("filename"),
                "sha256": file["sha256"],
                "size": file.get("size"),
                "checked_at": detail.get("checked_at"),
            }
    return out


def _due_json(settings: Settings | None, case: RowMapping) -> dict[str, Any]:
    if settings is None:
        return {}
    due, source = effective_due(settings, case["due_date"], case["period_end"])
    return {"effective_due_date": iso(due), "due_source": source}


def inbox_json(conn: Connection, include_handled: bool = False) -> list[dict[str, Any]]:
    """Mail that needs a person: no report in it, or an attachment that could not be read;
    not what staff dismissed."""
    stmt = select(messages).order_by(messages.c.internal_date.desc(), messages.c.id.desc())
    if not include_handled:
        quarantined = select(attachments.c.source_message_id).where(
            attachments.c.state == AttachmentState.QUARANTINED
        )
        # Registered mail that staff must still look at: a sender that failed authentication,
        # a report filed in a new case because it names another party's case.
        flagged = select(documents.c.source_message_id).where(
            documents.c.flag.is_not(None), documents.c.source_message_id.is_not(None)
        )
        stmt = stmt.where(
            messages.c.state.in_(INBOX_STATES)
            | messages.c.id.in_(quarantined)
            | (messages.c.auth_verdict == AuthVerdict.FAILED)
            | messages.c.id.in_(flagged)
        )
        stmt = stmt.where(messages.c.dismissed_at.is_(None))
    rows = list(conn.execute(stmt).mappings())
    by_message: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for a in conn.execute(
            select(attachments)
            .where(attachments.c.source_message_id.in_([m["id"] for m in rows]))
            .order_by(attachments.c.id)
        ).mappings():
            by_message.setdefault(a["source_message_id"], []).append(attachment_json(a))
    flags: dict[int, list[str]] = {}
    if rows:
        for source_message_id, flag in conn.execute(
            select(documents.c.source_message_id, documents.c.flag)
            .where(
                documents.c.source_message_id.in_([m["id"] for m in rows]),
                documents.c.flag.is_not(None),
            )
            .order_by(documents.c.id)
        ):
            flags.setdefault(source_message_id, []).append(flag)
    out = []
    for m in rows:
        item = message_json(m, by_message.get(m["id"], []))
        item["flags"] = flags.get(m["id"], [])
        out.append(item)
    return out


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
        "dismissed_at": iso(row["dismissed_at"]),
        "dismissed_by": row["dismissed_by"],
        "dismiss_reason": row["dismiss_reason"],
        "auth_verdict": row["auth_verdict"],
        "auth_detail": row["auth_detail"],
        "attachments": files,
    }


def message_row(conn: Connection, source_message_id: int) -> RowMapping:
    row = (
        conn.execute(select(messages).where(messages.c.id == source_message_id)).mappings().first()
    )
    if row is None:
        raise RegisterError(f"det finns ingen post med id {source_message_id}")
    return row


def message_files(conn: Connection, source_message_id: int) -> list[dict[str, Any]]:
    return [
        attachment_json(a)
        for a in conn.execute(
            select(attachments)
            .where(attachments.c.source_message_id == source_message_id)
            .order_by(attachments.c.id)
        ).mappings()
    ]


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
