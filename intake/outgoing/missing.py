"""What a report lacks, in the words of the form: from extraction findings to Swedish labels."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from intake.outgoing.safety import one_line

# The form's own labels (see shared/spec/slutrapport.md), so the sender recognises them.
FIELD_LABELS: dict[str, str] = {
    "title": "Insatsens namn (avsnitt 1)",
    "period": "Insatstid (avsnitt 1)",
    "period_start": "Insatstid, startdatum (avsnitt 1)",
    "period_end": "Insatstid, slutdatum (avsnitt 1)",
    "granted_sek": "Beviljade medel för insatsen (avsnitt 1)",
    "spent_sek": "Utnyttjade medel (avsnitt 1)",
    "organisation": "Organisations namn (avsnitt 2)",
    "workplace": "Arbetsställets namn (avsnitt 2)",
    "contact_name": "Namn - kontaktperson för insatsägare (avsnitt 2)",
    "contact_phone": "Mobiltelefonnummer (avsnitt 2)",
    "contact_email": "E-postadress (avsnitt 2)",
    "postal_code": "Postnummer (avsnitt 2)",
    "postal_town": "Postadress (avsnitt 2)",
    "partners": "Samverkansparter (avsnitt 3)",
    "submitter_date": "Datum under Uppgiftslämnare (avsnitt 8)",
    "submitter_name": "Namn under Uppgiftslämnare (avsnitt 8)",
}
SECTION_LABELS: dict[str, str] = {
    "4.1": "4.1 Syfte och bakgrund till insatsen",
    "4.2": "4.2 Målgrupp för insatsen",
    "5.1": "5.1 Måluppfyllelse",
    "5.2": "5.2 Arbetssätt och verksamhetsbeskrivning",
    "5.3": "5.3 Avvikelser från planering",
    "5.4": "5.4 Uppföljning och utvärdering av målen",
    "6.1": "6.1 Erfarenheter och lärdomar",
    "6.2": "6.2 Implementering av insatsen",
    "6.3": "6.3 Brukarmedverkan",
    "6.4": "6.4 Framgångsfaktorer och positiva effekter",
    "6.5": "6.5 Identifierade systemfel",
    "7.1.1": "7.1.1 Ekonomiuppföljning, beviljade medel helt utnyttjade",
    "7.2.1": "7.2.1 Ekonomiuppföljning, beviljade medel inte helt utnyttjade",
}
UNSIGNED = "Datum och namn under Uppgiftslämnare (avsnitt 8): rapporten är inte undertecknad"
_SECTION_KEY = re.compile(r"^(?:section[ _:]?)?(\d(?:\.\d){1,2})$")


def field_label(key: str) -> str:
    """The form's label for a field key; an unknown key is shown as it is, cleaned."""
    key = key.strip()
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    if m := _SECTION_KEY.match(key):
        return SECTION_LABELS.get(m.group(1), f"Avsnitt {m.group(1)}")
    return one_line(key, 80)


def _field_keys(finding: Mapping[str, Any]) -> list[str]:
    """The field names a missing_field finding names: 'field', 'fields' or 'key'."""
    keys: list[str] = []
    for name in ("field", "key"):
        value = finding.get(name)
        if isinstance(value, str) and value:
            keys.append(value)
    many = finding.get("fields")
    if isinstance(many, list):
        keys.extend(str(v) for v in many if v)
    return keys


def _unsigned_item(fields: Mapping[str, Any]) -> str:
    """Name the half of the signature that is missing, when only one half is."""
    lacking = [k for k in ("submitter_date", "submitter_name") if not fields.get(k)]
    if len(lacking) == 1:
        return f"{FIELD_LABELS[lacking[0]]}: rapporten är inte undertecknad"
    return UNSIGNED


def missing_items(
    findings: Iterable[Mapping[str, Any]], fields: Mapping[str, Any] | None = None
) -> list[str]:
    """One line per thing the sender must add, in form order, without repeats."""
    items: list[str] = []
    signed_items = {FIELD_LABELS["submitter_date"], FIELD_LABELS["submitter_name"]}
    unsigned: str | None = None
    for finding in findings:
        code = finding.get("code")
        if code == "unsigned":
            unsigned = _unsigned_item(fields or {})
        elif code == "missing_field":
            keys = _field_keys(finding)
            if keys:
                items.extend(field_label(k) for k in keys)
            elif finding.get("message"):
                items.append(one_line(str(finding["message"]), 160))
    order = list(FIELD_LABELS.values()) + list(SECTION_LABELS.values())
    unique = sorted(
        dict.fromkeys(items), key=lambda i: order.index(i) if i in order else len(order)
    )
    if unsigned is not None:
        # The signature line already says what section 8 lacks; repeating it is noise.
        unique = [i for i in unique if i not in signed_items] + [unsigned]
    return unique
