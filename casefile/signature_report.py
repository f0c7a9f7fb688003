"""The validation report of a document's e-signatures, kept with the document (issue 29).

DIGG's and Riksarkivet's guidance: check an incoming e-signature when it arrives and keep both
the signature and the result of the check. The extractor checks the signatures in its isolated
worker and returns the report (intake.extract.signatures.check_digital: the file's SHA-256,
when, by what, against which roots, and each signature's verdict with what it rests on). Here
it becomes a file of its own in the content-addressed archive, named after the original, and
an event `signature_validated` links it to the document; `casefile file` lists it and the
e-archive package carries it (both read casefile.files), so neither can miss it. No schema
change: a stored file and an event, as a file registered by hand is kept.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session

from casefile.events import log_event

ACTION = "signature_validated"
PART = "validation_report"
MEDIA_TYPE = "application/json"


def report_bytes(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def report_name(original: str | None) -> str:
    """`slutrapport.pdf` -> `slutrapport.valideringsrapport.json`."""
    stem = PurePath(original or "").stem or "dokument"
    return f"{stem}.valideringsrapport.json"


def keep_report(
    session: Session,
    archive: Any,
    document: Any,
    report: dict[str, Any] | None,
    actor: str,
    original: str | None,
) -> str | None:
    """Store `report` beside `document` (archive blob, stored_files row, event); its digest,
    or None when there is no report (no PDF signature)."""
    if not report:
        return None
    from casefile.db.models import StoredFile

    data = report_bytes(report)
    digest: str = archive.put(data)
    if session.get(StoredFile, digest) is None:
        session.add(StoredFile(sha256=digest, size=len(data), media_type=MEDIA_TYPE))
        session.flush()
    signatures = report.get("signatures") or []
    roots = (report.get("trust_roots") or {}).get("certificates") or []
    log_event(
        session,
        actor,
        ACTION,
        document=document,
        file={"sha256": digest, "filename": report_name(original), "size": len(data)},
        checked_at=report.get("checked_at"),
        signatures=len(signatures),
        document_sha256=report.get("document_sha256"),
        trust_roots=[c.get("sha256") for c in roots],
    )
    return digest
