"""The stored files of registered documents, whatever their way in.

A document that came by mail has its raw message (`messages.raw_sha256`) and the message's
attachments (`attachments`, by message or linked to the document directly). A document
registered by hand (`casefile register`: post, by hand, outgoing, internal) has the file staff
gave, recorded by its registration event (`registered_by_hand`, detail `file`), written in the
same transaction as the document. A document with e-signatures also has their validation
report (`signature_validated`, detail `file`; casefile.signature_report). Every one of them
is a row of `stored_files` (the digest of a blob in the content-addressed archive).
`casefile file` and the e-archive package read them here, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from casefile.db.schema import attachments, events, messages, stored_files

OCTET_STREAM = "application/octet-stream"
# Events that record a stored file of a document, and the part the file is: a file registered
# by hand, or the validation report of the document's e-signatures (signature_report.py).
EVENT_PARTS = {"registered_by_hand": "file", "signature_validated": "validation_report"}


@dataclass(frozen=True)
class DocumentFile:
    """One stored file of a document."""

    document_id: int
    name: str | None  # as it came; None when the sender gave none
    sha256: str
    size: int
    media_type: str
    # "message" (the raw mail) | "attachment" (of the mail) | "file" (by hand) |
    # "validation_report" (of its e-signatures, made at arrival)
    part: str


def message_file_name(message_id: int) -> str:
    return f"meddelande-{message_id}.eml"


def document_files(conn: Connection, docs: Sequence[Any]) -> dict[int, list[DocumentFile]]:
    """Per document (rows with `id` and `source_message_id`): its files, the raw message first,
    then the attachments and the files registered by hand in the order they were recorded.
    Four queries, whatever the number of documents."""
    out: dict[int, list[DocumentFile]] = {d["id"]: [] for d in docs}
    if not out:
        return out
    by_message: dict[int, list[int]] = {}
    for d in docs:
        if d["source_message_id"] is not None:
            by_message.setdefault(d["source_message_id"], []).append(d["id"])
    if by_message:
        for m in conn.execute(
            select(messages.c.id, messages.c.raw_sha256, messages.c.size)
            .where(messages.c.id.in_(list(by_message)))
            .order_by(messages.c.id)
        ):
            for doc_id in by_message[m.id]:
                out[doc_id].append(
                    DocumentFile(
                        doc_id,
                        message_file_name(m.id),
                        m.raw_sha256,
                        m.size,
                        "message/rfc822",
                        "message",
                    )
                )
    rows = conn.execute(
        select(
            attachments.c.source_message_id,
            attachments.c.document_id,
            attachments.c.sha256,
            attachments.c.filename,
            attachments.c.media_type,
            attachments.c.size,
        )
        .where(
            attachments.c.source_message_id.in_(list(by_message))
            | attachments.c.document_id.in_(list(out))
        )
        .order_by(attachments.c.id)
    )
    for a in rows:
        owners = set(by_message.get(a.source_message_id, []))
        if a.document_id in out:
            owners.add(a.document_id)
        for doc_id in sorted(owners):
            out[doc_id].append(
                DocumentFile(
                    doc_id,
                    a.filename,
                    a.sha256,
                    a.size,
                    a.media_type or OCTET_STREAM,
                    "attachment",
                )
            )
    by_hand: list[tuple[int, dict[str, Any], str]] = []
    for doc_id, action, detail in conn.execute(
        select(events.c.document_id, events.c.action, events.c.detail)
        .where(
            events.c.action.in_(list(EVENT_PARTS)),
            events.c.document_id.in_(list(out)),
        )
        .order_by(events.c.id)
    ):
        file = (detail or {}).get("file")
        if isinstance(file, dict) and isinstance(file.get("sha256"), str):
            by_hand.append((doc_id, file, EVENT_PARTS[action]))
    if by_hand:
        known = {
            row.sha256: row
            for row in conn.execute(
                select(stored_files.c.sha256, stored_files.c.size, stored_files.c.media_type).where(
                    stored_files.c.sha256.in_({f["sha256"] for _, f, _ in by_hand})
                )
            )
        }
        for doc_id, file, part in by_hand:
            stored = known.get(file["sha256"])
            out[doc_id].append(
                DocumentFile(
                    doc_id,
                    file.get("filename"),
                    file["sha256"],
                    stored.size if stored is not None else int(file.get("size") or 0),
                    (stored.media_type if stored is not None else None) or OCTET_STREAM,
                    part,
                )
            )
    return out
