"""The report form as data: field labels, section headings and the form's own helper texts.

Keeping the template here (not in the readers) lets DOCX and PDF share one interpretation,
and lets a new form version be supported by editing data instead of code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ValueKind = Literal["text", "date", "period", "amount", "phone", "email", "postal_code"]


@dataclass(frozen=True)
class FieldSpec:
    """One labelled field of the form."""

    key: str
    label: str  # Swedish label as printed on the form; also used in messages
    aliases: tuple[str, ...]  # variants seen in forms; matched word by word, casefolded
    region: str  # the form region ("reg", "1", "2", "3", "8") the label must sit in
    kind: ValueKind
    required: bool


# The period label carries the date format hint; the value holds both dates.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("reference", "Diarienummer", ("Diarienummer", "Dnr"), "reg", "text", False),
    FieldSpec("registrar_signature", "Signatur", ("Signatur",), "reg", "text", False),
    FieldSpec("received_date", "Ankomstdatum", ("Ankomstdatum",), "reg", "date", False),
    FieldSpec(
        "title", "Insatsens namn", ("Insatsens namn", "Insatsens benämning"), "1", "text", True
    ),
    FieldSpec(
        "period",
        "Insatstid",
        ("Insatstid – åååå-mm-dd", "Insatstid åååå-mm-dd", "Insatstid"),
        "1",
        "period",
        True,
    ),
    FieldSpec(
        "granted_sek",
        "Beviljade medel för insatsen",
        ("Beviljade medel för insatsen", "Beviljade medel"),
        "1",
        "amount",
        True,
    ),
    FieldSpec("spent_sek", "Utnyttjade medel", ("Utnyttjade medel",), "1", "amount", True),
    FieldSpec(
        "organisation",
        "Organisations namn",
        ("Organisations namn", "Organisationens namn"),
        "2",
        "text",
        True,
    ),
    FieldSpec(
        "workplace",
        "Arbetsställets namn",
        ("Arbetsställets namn", "Arbetsställe"),
        "2",
        "text",
        False,
    ),
    FieldSpec(
        "contact_name",
        "Namn - kontaktperson för insatsägare",
        ("Namn - kontaktperson för insatsägare", "Namn kontaktperson", "Kontaktperson"),
        "2",
        "text",
        True,
    ),
    FieldSpec(
        "contact_phone",
        "Mobiltelefonnummer",
        ("Mobiltelefonnummer", "Telefonnummer", "Mobilnummer"),
        "2",
        "phone",
        True,
    ),
    FieldSpec("contact_email", "E-postadress", ("E-postadress",), "2", "email", True),
    FieldSpec("postal_code", "Postnummer", ("Postnummer",), "2", "postal_code", False),
    FieldSpec("postal_town", "Postadress", ("Postadress", "Ort"), "2", "text", False),
    FieldSpec("partners", "Organisation", ("Organisation",), "3", "text", False),
    FieldSpec("submitter_date", "Datum", ("Datum",), "8", "date", False),
    FieldSpec("submitter_name", "Namn", ("Namn", "Namnförtydligande"), "8", "text", False),
)

# Output field keys in the order of the interface's JSON ("period" expands to two keys).
FIELD_KEYS: tuple[str, ...] = (
    "reference",
    "registrar_signature",
    "received_date",
    "title",
    "period_start",
    "period_end",
    "granted_sek",
    "spent_sek",
    "organisation",
    "workplace",
    "contact_name",
    "contact_phone",
    "contact_email",
    "postal_code",
    "postal_town",
    "partners",
    "submitter_date",
    "submitter_name",
)

# Swedish names of output keys, for messages and the human summary.
FIELD_LABELS: dict[str, str] = {
    "reference": "Diarienummer",
    "registrar_signature": "Signatur",
    "received_date": "Ankomstdatum",
    "title": "Insatsens namn",
    "period_start": "Insatstid, startdatum",
    "period_end": "Insatstid, slutdatum",
    "granted_sek": "Beviljade medel",
    "spent_sek": "Utnyttjade medel",
    "organisation": "Organisationens namn",
    "workplace": "Arbetsställets namn",
    "contact_name": "Kontaktperson",
    "contact_phone": "Mobiltelefonnummer",
    "contact_email": "E-postadress",
    "postal_code": "Postnummer",
    "postal_town": "Postadress",
    "partners": "Samverkansparter",
    "submitter_date": "Uppgiftslämnare, datum",
    "submitter_name": "Uppgiftslämnare, namn",
}

REQUIRED_KEYS: tuple[str, ...] = (
    "title",
    "period_start",
    "period_end",
    "granted_sek",
    "spent_sek",
    "organisation",
    "contact_name",
    "contact_phone",
    "contact_email",
)


@dataclass(frozen=True)
class Heading:
    """A numbered heading; `key` is the number, `words` its title, `helper` the form's question."""

    key: str
    title: str
    helper: str = ""
    # The numbered free-text answers that go into `sections`.
    is_answer: bool = False


HEADINGS: tuple[Heading, ...] = (
    Heading("1", "Allmänna uppgifter"),
    Heading("2", "Ansvarig för genomförande av insatsen"),
    Heading("3", "Samverkansparter"),
    Heading("4", "Insatsbeskrivning"),
    Heading(
        "4.1",
        "Syfte och bakgrund till insatsen",
        "Beskriv kortfattat varför insatsen startades och vilket behov den skulle möta.",
        True,
    ),
    Heading(
        "4.2",
        "Målgrupp för insatsen",
        "Vilka personer har insatsen vänt sig till och hur många har deltagit?",
        True,
    ),
    Heading("5", "Resultat och utfall av insats"),
    Heading(
        "5.1",
        "Måluppfyllelse",
        "Redovisa för varje mål i ansökan i vilken grad målet har uppnåtts.",
        True,
    ),
    Heading(
        "5.2",
        "Arbetssätt och verksamhetsbeskrivning",
        "Beskriv hur insatsen har arbetat och vilka aktiviteter som genomförts.",
        True,
    ),
    Heading(
        "5.3",
        "Avvikelser från planering",
        "Har insatsen avvikit från den plan som beskrevs i ansökan? "
        "Beskriv i så fall hur och varför.",
        True,
    ),
    Heading(
        "5.4",
        "Beskriv uppföljning och utvärdering av målen",
        "Hur har målen följts upp och vilka metoder har använts?",
        True,
    ),
    Heading("6", "Analys"),
    Heading(
        "6.1",
        "Beskriv erfarenheter och lärdomar",
        "Vad har ni lärt er under insatsens gång som kan vara till nytta för andra?",
        True,
    ),
    Heading(
        "6.2",
        "Beskriv i vilken form insatsen har blivit eller kommer bli implementerad",
        "Ange vem som ansvarar för fortsättningen och hur den finansieras.",
        True,
    ),
    Heading(
        "6.3",
        "Brukarmedverkan",
        "På vilket sätt har deltagarna kunnat påverka insatsens innehåll?",
        True,
    ),
    Heading(
        "6.4",
        "Beskriv framgångsfaktorer/positiva effekter",
        "Vad har fungerat särskilt bra och varför?",
        True,
    ),
    Heading(
        "6.5",
        "Beskriv identifierade systemfel",
        "Har insatsen synliggjort hinder i eller mellan myndigheternas regelverk och rutiner?",
        True,
    ),
    Heading("7", "Ekonomiuppföljning utnyttjade medel"),
    Heading("7.1", "Beviljade medel är helt utnyttjade"),
    Heading(
        "7.1.1",
        "Var budgeten väl avvägd i förhållande till insatsens innehåll?",
        "Kommentera kort hur medlen har använts.",
        True,
    ),
    Heading("7.2", "Beviljade medel är inte helt utnyttjade"),
    Heading(
        "7.2.1",
        "Beskriv varför medlen inte har utnyttjats fullt ut",
        "Ange belopp och orsak till att medel återstår.",
        True,
    ),
    Heading("8", "Uppgiftslämnare"),
)

SECTION_KEYS: tuple[str, ...] = tuple(h.key for h in HEADINGS if h.is_answer)

# Title words that decide the document type; checked against the first lines of the form.
DOCUMENT_TITLES: tuple[tuple[str, str], ...] = (
    ("slutrapport", "slutrapport"),
    ("delrapport", "delrapport"),
    ("lägesrapport", "delrapport"),
    ("ansökan", "ansokan"),
)
