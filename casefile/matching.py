"""Which open case a new report belongs to: a pure function over what the message says.

Rules in order (the first that names an open case wins):
1. the message answers one of our mails, and that mail named a case;
2. the subject names a case;
3. the form's Diarienummer box names a case;
4. the report's title (Insatsens namn) and organisation equal an open case's.
Otherwise a new case is opened.

A report of the same insats (title, organisation and insats period equal, normalised) as an open
case, from another party, opens a new case too, but flagged for staff with the case it may
belong to, and the `casefile move` that files it there (a second copy of one report must not
list the insats twice unseen).

A reference is not proof of who writes: anyone can put "Re: SFG 26-01" in a subject. Every rule
files only when the sender is the same party as the case (the same address, or the same domain
unless it is a public mail service, as an earlier sender or the confirmed contact). A message
that names a case but comes from another party opens a new case with a flag for staff.
"""

from __future__ import annotations

import datetime as dt
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
    # Addresses that speak for the case: earlier senders and the confirmed contact. Empty for a
    # case with no e-mail party (paper post): nothing to compare with.
    parties: tuple[str, ...] = ()
    period_end: dt.date | None = None  # the insats period's end, when a report gave it


@dataclass(frozen=True)
class Incoming:
    subject: str = ""
    # Case numbers of our own mails that this message's In-Reply-To/References point at.
    replied_cases: tuple[str, ...] = ()
    form_reference: str | None = None
    title: str = ""
    organisation: str = ""
    sender: str | None = None  # the From address
    period_end: dt.date | None = None


@dataclass(frozen=True)
class CaseMatch:
    number: str | None
    rule: str  # reply | subject | form_reference | title_organisation | new
    flag: str | None = None  # why staff should look at the new case
    # A new case for a report of the same insats as this open case, from another party.
    same_insats_as: str | None = None


# Domains shared by unrelated people: there only the exact address makes the same party.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.se",
        "outlook.com",
        "outlook.se",
        "live.com",
        "live.se",
        "msn.com",
        "yahoo.com",
        "yahoo.se",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "telia.com",
        "spray.se",
        "bredband.net",
        "comhem.se",
        "gmx.com",
        "gmx.net",
    }
)


def _address_key(address: str) -> tuple[str, str]:
    address = address.strip().strip("<>").casefold()
    return address, address.rpartition("@")[2] if "@" in address else ""


def same_party(sender: str | None, parties: Sequence[str]) -> bool:
    """Does `sender` speak for a case whose parties are `parties`?"""
    if not parties:
        return True
    if not sender:
        return False
    address, domain = _address_key(sender)
    for party in parties:
        other, other_domain = _address_key(party)
        if other == address:
            return True
        if domain and domain == other_domain and domain not in PUBLIC_MAIL_DOMAINS:
            return True
    return False


def other_party_flag(number: str) -> str:
    return f"hänvisar till {number} men kommer från en annan avsändare"


def same_insats_flag(case_number: str, document_number: str) -> str:
    """The warning for staff on a report that opened a new case although an open case holds the
    same insats, with the command that files it there."""
    return (
        f"samma insats som {case_number}? Om så: "
        f'casefile move "{document_number}" --to "{case_number}"'
    )


def _same_period(a: dt.date | None, b: dt.date | None) -> bool:
    """Periods agree unless both are known and differ (a report without one may be the same)."""
    return a is None or b is None or a == b


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


def _referenced(
    settings: RegistrySettings, incoming: Incoming, open_cases: Sequence[OpenCase]
) -> list[tuple[OpenCase, str]]:
    """The open cases the message names, in rule order, each with the rule that found it."""
    by_number = {case.number: case for case in open_cases}
    found: list[tuple[OpenCase, str]] = []
    for number in incoming.replied_cases:
        if number in by_number:
            found.append((by_number[number], "reply"))
    for parts in find_references(settings, incoming.subject):
        if case := _by_parts(open_cases, parts):
            found.append((case, "subject"))
    if incoming.form_reference:
        parts_or_none = parse_reference(settings, incoming.form_reference)
        candidates = (
            [parts_or_none] if parts_or_none else find_references(settings, incoming.form_reference)
        )
        for parts in candidates:
            if case := _by_parts(open_cases, parts):
                found.append((case, "form_reference"))
    return found


def _same_insats(incoming: Incoming, open_cases: Sequence[OpenCase]) -> list[OpenCase]:
    title, org = normalise_key(incoming.title), normalise_key(incoming.organisation)
    if not (title and org):
        return []
    # Newest case first: the most recent matter for the same insats is the live one.
    return [
        case
        for case in sorted(open_cases, key=lambda c: (c.year, c.serial), reverse=True)
        if normalise_key(case.title) == title and normalise_key(case.organisation) == org
    ]


def candidate_numbers(
    settings: RegistrySettings, incoming: Incoming, open_cases: Sequence[OpenCase]
) -> set[str]:
    """The cases match_case may choose from: whose parties the caller must load."""
    named = {case.number for case, _rule in _referenced(settings, incoming, open_cases)}
    return named | {case.number for case in _same_insats(incoming, open_cases)}


def match_case(
    settings: RegistrySettings, incoming: Incoming, open_cases: Sequence[OpenCase]
) -> CaseMatch:
    referenced = _referenced(settings, incoming, open_cases)
    for case, rule in referenced:
        if same_party(incoming.sender, case.parties):
            return CaseMatch(case.number, rule)
    if referenced:
        return CaseMatch(None, "new", other_party_flag(referenced[0][0].number))
    same = _same_insats(incoming, open_cases)
    for case in same:
        if same_party(incoming.sender, case.parties):
            return CaseMatch(case.number, "title_organisation")
    for case in same:
        if _same_period(case.period_end, incoming.period_end):
            return CaseMatch(None, "new", same_insats_as=case.number)
    return CaseMatch(None, "new")
