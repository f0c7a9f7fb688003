"""Template contexts built from the register's rows: what each kind of mail says.

Every text that came from a sender or an attachment passes `one_line` here, once, so templates
can print it without thinking about line breaks or encoded-words.

Our mail goes out under the authority's own name, so it quotes as little of what a sender wrote as
it can (issue 12: a forged report must not turn a kvittens into a phishing mail): the
diarienummer, the arrival date and our own words. The insats title and organisation appear only
when the sender was verified (or staff registered the document), shortened, with web addresses
defanged (`hxxps://evil[.]example`). Subjects carry no sender text at all.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from casefile.config import Settings
from casefile.db.models import Case, Document
from casefile.states import NAMED_KINDS, AuthVerdict, DocumentStatus
from intake.outgoing.missing import missing_items
from intake.outgoing.safety import one_line

# The mail names a document in Swedish whatever CASEFILE_LANG says.
KIND_LABELS = {kind.value: kind.sv for kind in NAMED_KINDS}
SENDER_TEXT_LIMIT = 60
# A web address with a scheme or www., and anything else shaped like a domain name.
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"']*")
_DOMAIN = re.compile(r"(?i)\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
_SCHEME = re.compile(r"(?i)^(h)tt(ps?)(?=://)|^(f)t(p)(?=://)")


def defang(text: str) -> str:
    """Make web addresses unclickable: https://evil.example/x -> hxxps://evil[.]example/x."""

    def scheme(m: re.Match[str]) -> str:
        return f"{m.group(1)}xx{m.group(2)}" if m.group(1) else f"{m.group(3)}x{m.group(4)}"

    text = _URL.sub(lambda m: _SCHEME.sub(scheme, m.group(0)), text)
    return _DOMAIN.sub(lambda m: m.group(0).replace(".", "[.]"), text)


def trusted(verdict: str | None) -> bool:
    """May we quote this sender's words? Verified senders, and documents staff registered."""
    return verdict in (None, AuthVerdict.VERIFIED)


def sender_text(value: str | None, verdict: str | None, limit: int = SENDER_TEXT_LIMIT) -> str:
    """A sender's text as our mail may quote it: '' unless trusted; one line, defanged, short."""
    if not trusted(verdict):
        return ""
    return one_line(defang(one_line(value, 1000)), limit)


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
        "title": sender_text(document.title, document.sender_verdict) or "–",
        "organisation": sender_text(document.organisation, document.sender_verdict) or "–",
        "kind_label": KIND_LABELS.get(document.kind, "handling"),
        "incomplete": document.status == DocumentStatus.INCOMPLETE,
    }


def _document_facts(document: Document, case: Case) -> list[tuple[str, str]]:
    doc = _document(document)
    facts = [
        ("Diarienummer", doc["diarienummer"]),
        ("Ärende", case.number),
        ("Ankomstdatum", doc["received_date"].isoformat()),
    ]
    if trusted(document.sender_verdict):
        facts += [("Insats", doc["title"]), ("Organisation", doc["organisation"])]
    return facts


def kvittens_context(settings: Settings, document: Document) -> dict[str, Any]:
    case = document.case
    return {
        **common(settings),
        "html_title": f"Kvittens {document.diarienummer}",
        "document": _document(document),
        "case_number": case.number,
        "facts": _document_facts(document, case),
        # Kept for operators' template overrides; no sender text goes into a subject.
        "subject_title": document.diarienummer,
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
        # Kept for operators' template overrides; no sender text goes into a subject.
        "subject_title": document.diarienummer,
    }


def case_verdict(case: Case) -> str | None:
    """A case's title and organisation are as trustworthy as the best report that gave them."""
    verdicts = [d.sender_verdict for d in case.documents if not d.cancelled]
    if not verdicts or any(trusted(v) for v in verdicts):
        return AuthVerdict.VERIFIED
    return AuthVerdict.FAILED if AuthVerdict.FAILED in verdicts else AuthVerdict.UNKNOWN


def paminnelse_context(
    settings: Settings, case: Case, due_date: dt.date, today: dt.date
) -> dict[str, Any]:
    verdict = case_verdict(case)
    title = sender_text(case.title, verdict) or "–"
    facts = [("Ärende", case.number)]
    if trusted(verdict):
        facts += [
            ("Insats", title),
            ("Organisation", sender_text(case.organisation, verdict) or "–"),
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
        "subject_title": case.number,
    }
