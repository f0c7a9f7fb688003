"""Corrections of a registered document's fields: the value parsed by the field's type, the
findings and status recomputed by the extraction's own checks, the received date on its own.

Works inside the caller's transaction and logs each correction there, as every act does.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Document
from casefile.errors import RegisterError
from casefile.events import log_event
from casefile.register.registration import (
    INCOMPLETE_CODES,
    arrival_date,
    find_document,
)
from casefile.states import READ_KINDS, DocumentStatus

KINDS = READ_KINDS

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
    from intake.extract.findings import (
        _signature_section,
        for_registration,
        signature_section_absent,
    )
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
    if sign and not any(signature_section_absent(f, sign) for f in old):
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
    if doc.status in (DocumentStatus.REGISTERED, DocumentStatus.INCOMPLETE):
        codes = {f.get("code") for f in doc.findings}
        doc.status = (
            DocumentStatus.INCOMPLETE if codes & INCOMPLETE_CODES else DocumentStatus.REGISTERED
        )
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
