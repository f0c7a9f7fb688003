"""The output schema of an extraction: field keys (the interface's JSON) and their Swedish
names. The forms themselves (labels, sections, helper texts) are data: see forms.py."""

from __future__ import annotations

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

# The answer sections of the office's slutrapport: the keys every `sections` object starts with
# (config/forms/slutrapport.toml holds their titles and helper texts).
SECTION_KEYS: tuple[str, ...] = (
    "4.1",
    "4.2",
    "5.1",
    "5.2",
    "5.3",
    "5.4",
    "6.1",
    "6.2",
    "6.3",
    "6.4",
    "6.5",
    "7.1.1",
    "7.2.1",
)

# The plain text of a long PDF's pages after those laid out (appendices): a `sections` entry of
# its own, so that it is kept and found by search but never read as an answer.
APPENDIX_KEY = "bilagor"
