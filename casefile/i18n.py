"""User-facing words of the staff CLI, in Swedish with English available (CASEFILE_LANG=en)."""

from __future__ import annotations

import os

_TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "diarienummer": "Diarienummer",
        "received": "Ankomstdatum",
        "kind": "Typ",
        "title": "Insats",
        "organisation": "Organisation",
        "sender": "Avsändare",
        "submitter_signed": "Undertecknad",
        "signature": "Signatur",
        "signature_short": "Sign.",
        "status": "Status",
        "findings": "Anmärkningar",
        "case": "Ärende",
        "due": "Bevakningsdatum",
        "yes": "ja",
        "no": "nej",
        "none": "inga dokument",
        "registered": "registrerad",
        "incomplete": "ofullständig",
        "completed": "kompletterad",
        "cancelled": "makulerad",
        "open": "öppet",
        "closed": "avslutat",
        "events": "Händelser",
        "mail": "Post som behöver handläggas",
        "state": "Läge",
        "reason": "Orsak",
        "no_report": "ingen rapport",
        "quarantined": "i karantän",
        "failed": "misslyckad",
        "duplicate": "dubblett",
        "automatic": "automatisk",
    },
    "en": {
        "diarienummer": "Number",
        "received": "Received",
        "kind": "Kind",
        "title": "Insats",
        "organisation": "Organisation",
        "sender": "Sender",
        "submitter_signed": "Signed by sender",
        "signature": "Signature",
        "signature_short": "Sign.",
        "status": "Status",
        "findings": "Findings",
        "case": "Case",
        "due": "Due date",
        "yes": "yes",
        "no": "no",
        "none": "no documents",
        "registered": "registered",
        "incomplete": "incomplete",
        "completed": "completed",
        "cancelled": "cancelled",
        "open": "open",
        "closed": "closed",
        "events": "Events",
        "mail": "Mail that needs a person",
        "state": "State",
        "reason": "Reason",
        "no_report": "no report",
        "quarantined": "quarantined",
        "failed": "failed",
    },
}


def language() -> str:
    lang = os.environ.get("CASEFILE_LANG", "sv")[:2].lower()
    return lang if lang in _TEXT else "sv"


def t(key: str) -> str:
    return _TEXT[language()].get(key, key)
