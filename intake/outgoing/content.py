"""Template contexts built from the register's rows: what each kind of mail says.

Every text that came from a sender or an attachment passes `one_line` here, once, so templates
can print it without thinking about line breaks or encoded-words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casefile.config import Settings
from casefile.db.models import Case, Document
from intake.outgoing.missing import missing_items
from intake.outgoing.safety import one_line

KIND_LABELS = {
    "slutrapport": "slutrapport",
    "delrapport": "delrapport",
    "ansokan": "ansökan",
}
SUBJECT_TITLE_LIMIT = 60


def signature_lines(settings: Settings) -> list[str]:
    """The office's signature block: `mail.signature` (lines), else office name and address."""
    if settings.mail.signature.strip():
        return [one_line(line, 200) for line in settings.mail.signature.strip().splitlines()]
    return [settings.registry.office_name, settings.smtp.from_address]


def common(settings: Settings) -> dict[str, Any]:
    return {
        "office_name": settings.registry.office_name,
        "from_address": settings.smtp.from_address,
        "signature_lines": signature_lines(settings),
    }


def _document(document: Document) -> dict[str, Any]:
    return {
        "diarienummer": document.diarienummer,
        "received_date": document.received_date,
        "title": one_line(document.title) or "–",
        "organisation": one_line(document.organisation) or "–",
        "kind_label": KIND_LABELS.get(document.kind, "handling"),
        "incomplete": document.status == "incomplete",
    }


def _document_facts(document: Document, case: Case) -> list[tuple[str, str]]:
    doc = _document(document)
    return [
        ("Diarienummer", doc["diarienummer"]),
        ("Ärende", case.number),
        ("Ankomstdatum", doc["received_date"].isoformat()),
        ("Insats", doc["title"]),
        ("Organisation", doc["organisation"]),
    ]


def kvittens_context(settings: Settings, document: Document) -> dict[str, Any]:
    case = document.case
    return {
        **common(settings),
        "html_title": f"Kvittens {document.diarienummer}",
        "document": _document(document),
        "case_number": case.number,
        "facts": _document_facts(document, case),
        "subject_title": one_line(document.title, SUBJECT_TITLE_LIMIT) or "utan titel",
    }


def komplettering_context(
    settings: Settings,
    document: Document,
    request_number: int = 1,
    first_requested: dt.date | None = None,
) -> dict[str, Any]:
    case = document.case
    missing = missing_items(document.findings or [], document.fields or {})
    if not missing:
        missing = ["Uppgifter som krävs i rapportmallen (kontakta oss om ni är osäkra på vilka)"]
    return {
        **common(settings),
        "html_title": f"Komplettering {document.diarienummer}",
        "document": _document(document),
        "case_number": case.number,
        "facts": _document_facts(document, case),
        "missing": missing,
        "unsigned": any(f.get("code") == "unsigned" for f in document.findings or []),
        "request_number": request_number,
        "first_requested": first_requested,
        "subject_title": one_line(document.title, SUBJECT_TITLE_LIMIT) or "utan titel",
    }


def paminnelse_context(
    settings: Settings, case: Case, due_date: dt.date, today: dt.date
) -> dict[str, Any]:
    title = one_line(case.title) or "–"
    facts = [
        ("Ärende", case.number),
        ("Insats", title),
        ("Organisation", one_line(case.organisation) or "–"),
    ]
    if case.period_end:
        facts.append(("Insatstiden slutade", case.period_end.isoformat()))
    facts.append(("Sista dag", due_date.isoformat()))
    return {
        **common(settings),
        "html_title": f"Påminnelse {case.number}",
        "case": {"number": case.number, "title": title},
        "due_date": due_date,
        "days_left": (due_date - today).days,
        "facts": facts,
        "subject_title": one_line(case.title, SUBJECT_TITLE_LIMIT) or case.number,
    }
