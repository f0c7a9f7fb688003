"""Checks an officer wants flagged on a report; each finding carries one Swedish sentence."""

from __future__ import annotations

from typing import Any

from intake.extract.form import FIELD_LABELS, REQUIRED_KEYS
from intake.extract.model import Finding
from intake.extract.normalize import format_amount, looks_like_personnummer


def findings(
    document_type: str,
    fields: dict[str, Any],
    sections: dict[str, str],
    unparsed: dict[str, str],
    section8_present: bool,
) -> list[Finding]:
    out: list[Finding] = []
    if document_type == "unknown":
        out.append(
            Finding(
                "unknown_document",
                "Dokumentet kunde inte identifieras som slutrapport, delrapport eller ansökan.",
            )
        )
    elif document_type == "ansokan":
        out.append(Finding("not_final_report", "Dokumentet är en ansökan, inte en slutrapport."))
    else:
        out.extend(_report_checks(document_type, fields, sections, unparsed, section8_present))
    if _personnummer_anywhere(fields, sections):
        out.append(
            Finding(
                "possible_personnummer",
                "Texten verkar innehålla ett personnummer; kontrollera innan rapporten sprids.",
            )
        )
    return out


def _report_checks(
    document_type: str,
    fields: dict[str, Any],
    sections: dict[str, str],
    unparsed: dict[str, str],
    section8_present: bool,
) -> list[Finding]:
    out: list[Finding] = []
    for key, raw in unparsed.items():
        out.append(
            Finding(
                "unreadable_value",
                f"Värdet för {FIELD_LABELS[key]} kunde inte tolkas: ”{raw[:60]}”.",
                key,
            )
        )
    for key in REQUIRED_KEYS:
        if fields.get(key) in (None, "", []) and key not in unparsed:
            if key == "period_end" and "period_start" in unparsed:
                continue  # already reported as unreadable
            out.append(
                Finding("missing_field", f"Obligatoriskt fält saknas: {FIELD_LABELS[key]}.", key)
            )
    granted, spent = fields.get("granted_sek"), fields.get("spent_sek")
    if isinstance(granted, int) and isinstance(spent, int):
        if spent > granted:
            out.append(
                Finding(
                    "overspent",
                    f"Utnyttjade medel ({format_amount(spent)}) överstiger beviljade medel "
                    f"({format_amount(granted)}).",
                )
            )
        elif spent < granted and document_type == "slutrapport" and not sections.get("7.2.1"):
            out.append(
                Finding(
                    "underspent_unexplained",
                    f"Beviljade medel är inte helt utnyttjade ({format_amount(spent)} av "
                    f"{format_amount(granted)}) men avsnitt 7.2.1 saknar förklaring.",
                )
            )
    start, end = fields.get("period_start"), fields.get("period_end")
    if isinstance(start, str) and isinstance(end, str) and end < start:
        out.append(
            Finding(
                "period_inconsistent",
                f"Insatstidens slutdatum ({end}) ligger före startdatumet ({start}).",
            )
        )
    date, name = fields.get("submitter_date"), fields.get("submitter_name")
    if not section8_present:
        out.append(Finding("unsigned", "Avsnitt 8, Uppgiftslämnare, saknas i rapporten."))
    elif not date and not name:
        out.append(Finding("unsigned", "Avsnitt 8, Uppgiftslämnare, saknar datum och namn."))
    elif not date:
        out.append(Finding("unsigned", "Avsnitt 8, Uppgiftslämnare, saknar datum."))
    elif not name:
        out.append(Finding("unsigned", "Avsnitt 8, Uppgiftslämnare, saknar namn."))
    return out


def _personnummer_anywhere(fields: dict[str, Any], sections: dict[str, str]) -> bool:
    texts = [v for v in fields.values() if isinstance(v, str)]
    texts.extend(sections.values())
    return any(looks_like_personnummer(t) for t in texts)
