"""User-facing words of the staff CLI, in Swedish with English available (CASEFILE_LANG=en).

The names of states and statuses live with their types in casefile/states.py.
"""

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
        "events": "Händelser",
        "mail": "Post som behöver handläggas",
        "state": "Läge",
        "reason": "Orsak",
        "contact_confirmed": "Kontakt: {address} (bekräftad av {by})",
        "contact_candidate": "Kontakt i blanketten (ej bekräftad): {address}",
        "flag": "Obs: {flag}",
        "moved": "{number}: från {source} till {target}",
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
        "events": "Events",
        "mail": "Mail that needs a person",
        "state": "State",
        "reason": "Reason",
        "contact_confirmed": "Contact: {address} (confirmed by {by})",
        "contact_candidate": "Contact in the form (not confirmed): {address}",
        "flag": "Note: {flag}",
        "moved": "{number}: from {source} to {target}",
    },
}


_default = "sv"


def set_default_language(lang: str) -> None:
    """The configured language (registry.language), used when CASEFILE_LANG is not set."""
    global _default
    _default = lang if lang in _TEXT else "sv"


def _from_environment() -> str | None:
    lang = os.environ.get("CASEFILE_LANG", "")[:2].lower()
    return lang if lang in _TEXT else None


def language() -> str:
    return _from_environment() or _default


def environment_language() -> str:
    """CASEFILE_LANG alone, else Swedish: for what is said before the configuration (and its
    registry.language) is read, such as the configuration's own errors."""
    return _from_environment() or "sv"


def t(key: str) -> str:
    return _TEXT[language()].get(key, key)
