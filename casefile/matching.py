"""Which open case a new report belongs to: a pure function over what the message says.

Rules in order (the first that names an open case wins):
1. the message answers one of our mails, and that mail named a case;
2. the subject names a case;
3. the form's Diarienummer box names a case;
4. the report's title (Insatsens namn) and organisation equal an open case's.
Otherwise a new case is opened.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from casefile.config import RegistrySettings
from casefile.numbering import NumberParts, find_references, parse_reference


@dataclass(frozen=True)
class OpenCase:
    number: str
    year: int
    serial: int
    title: str
    organisation: str


@dataclass(frozen=True)
class Incoming:
    subject: str = ""
    # Case numbers of our own mails that this message's In-Reply-To/References point at.
    replied_cases: tuple[str, ...] = ()
    form_reference: str | None = None
    title: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class CaseMatch:
    number: str | None
    rule: str  # reply | subject | form_reference | title_organisation | new


def normalise_key(text: str) -> str:
    """Compare titles and organisation names without case, accents' encoding or spacing noise."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text)
    return text.strip(" .,;:-–")


def _by_parts(cases: Sequence[OpenCase], parts: NumberParts) -> OpenCase | None:
    for case in cases:
        if case.year == parts.year and case.serial == parts.case:
            return case
    return None


def match_case(
    settings: RegistrySettings, incoming: Incoming, open_cases: Sequence[OpenCase]
) -> CaseMatch:
    numbers = {case.number for case in open_cases}
    for number in incoming.replied_cases:
        if number in numbers:
            return CaseMatch(number, "reply")
    for parts in find_references(settings, incoming.subject):
        if found := _by_parts(open_cases, parts):
            return CaseMatch(found.number, "subject")
    if incoming.form_reference:
        parts_or_none = parse_reference(settings, incoming.form_reference)
        candidates = (
            [parts_or_none] if parts_or_none else find_references(settings, incoming.form_reference)
        )
        for parts in candidates:
            if found := _by_parts(open_cases, parts):
                return CaseMatch(found.number, "form_reference")
    title, org = normalise_key(incoming.title), normalise_key(incoming.organisation)
    if title and org:
        # Newest case first: the most recent matter for the same insats is the live one.
        for case in sorted(open_cases, key=lambda c: (c.year, c.serial), reverse=True):
            if normalise_key(case.title) == title and normalise_key(case.organisation) == org:
                return CaseMatch(case.number, "title_organisation")
    return CaseMatch(None, "new")
