"""Checks an officer wants flagged on a report; each finding carries one Swedish sentence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from intake.extract.form import FIELD_LABELS
from intake.extract.forms import FormDef
from intake.extract.model import Finding
from intake.extract.normalize import format_amount, looks_like_personnummer

UNSIGNED = "unsigned"
# Findings that make a report "incomplete" and so ask the sender for a completion.
COMPLETION_CODES = frozenset({"missing_field", UNSIGNED})
NOT_RECOGNISED = "form_not_recognised"
# The form's labels were found but its values came out (mostly) empty: the values are likely
# there in a shape we did not read (form fields, an image), so "missing" would be a guess.
VALUES_NOT_READ = "values_not_read"
# Read by OCR from a scan or a photo: a value may be misread or missed, so "missing" is a
# guess, and an automatic mail to the public goes out only when we are sure.
READ_BY_OCR = "read_by_ocr"
# Sources whose reading is never the ground for a completion request, each with its finding:
# text from a conversion or a mail body is never sure enough on its own (OCR has its own).
_CONVERTED = (
    "Rapporten lästes efter konvertering från {} till Word; kontrollera fälten; "
    "ingen komplettering begärs."
)
READ_FROM_SOURCE = {
    "mail_body": (
        "read_from_mail_body",
        "Rapporten stod i brevets text (ingen bilaga); ingen komplettering begärs.",
    ),
    "odt": ("read_after_conversion", _CONVERTED.format("ODT")),
    "doc": ("read_after_conversion", _CONVERTED.format("DOC")),
    "rtf": ("read_after_conversion", _CONVERTED.format("RTF")),
}
# A section of the definition came out empty although the document has it: reading went
# wrong there, so an empty answer is not the sender's.
SECTIONS_NOT_READ = "sections_not_read"
# Findings that send a report to staff instead of asking the sender for a completion.
NO_COMPLETION_CODES = frozenset(
    {
        NOT_RECOGNISED,
        SECTIONS_NOT_READ,
        VALUES_NOT_READ,
        READ_BY_OCR,
        *(code for code, _ in READ_FROM_SOURCE.values()),
    }
)
# Fewer labelled fields than this say too little; at most this share filled is "mostly empty".
MIN_LABELLED = 3
MAX_FILLED_SHARE = 0.25


def required_keys(form: FormDef) -> list[str]:
    out: list[str] = []
    for f in form.fields:
        if f.required:
            out.extend(("period_start", "period_end") if f.key == "period" else (f.key,))
    return out


def _signature_section(form: FormDef) -> str:
    for f in form.fields:
        if f.key in ("submitter_date", "submitter_name") and f.section:
            return f.section
    return ""


def findings(
    document_type: str,
    fields: dict[str, Any],
    sections: dict[str, str],
    unparsed: dict[str, str],
    form: FormDef,
    found_sections: set[str],
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
        out.extend(_report_checks(document_type, fields, sections, unparsed, form, found_sections))
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
    form: FormDef,
    found_sections: set[str],
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
    for key in required_keys(form):
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
        elif (
            spent < granted
            and document_type == "slutrapport"
            and "7.2.1" in form.answer_keys
            and not sections.get("7.2.1")
        ):
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
    sign = _signature_section(form)
    if sign:
        s = form.section(sign)
        name = f"Avsnitt {sign}, {s.title}" if s is not None else f"Avsnitt {sign}"
        date, who = fields.get("submitter_date"), fields.get("submitter_name")
        if sign not in found_sections:
            # The field names the section: it is absent, not merely left blank.
            out.append(Finding(UNSIGNED, f"{name}, saknas i rapporten.", sign))
        elif not date and not who:
            out.append(Finding(UNSIGNED, f"{name}, saknar datum och namn."))
        elif not date:
            out.append(Finding(UNSIGNED, f"{name}, saknar datum."))
        elif not who:
            out.append(Finding(UNSIGNED, f"{name}, saknar namn."))
    return out


def signature_section_absent(finding: Mapping[str, Any], section: str) -> bool:
    """Whether a stored finding says the signature section is absent from the report (not
    merely unsigned): its field names the section. Rows stored before findings named it say
    so only in their message, which is read for them alone."""
    if finding.get("code") != UNSIGNED:
        return False
    if "field" in finding:
        return finding.get("field") == section
    return str(finding.get("message", "")).endswith(" saknas i rapporten.")


def _personnummer_anywhere(fields: dict[str, Any], sections: dict[str, str]) -> bool:
    texts = [v for v in fields.values() if isinstance(v, str)]
    texts.extend(sections.values())
    return any(looks_like_personnummer(t) for t in texts)


def not_recognised(form_name: str, confidence: float) -> Finding:
    return Finding(
        NOT_RECOGNISED,
        # The share of the form's labels that were found, in the staff's 80 columns.
        f"Formuläret kändes inte igen ({form_name}, {round(confidence * 100)} %); "
        "ingen komplettering begärs.",
    )


def filled_share(
    form: FormDef, labelled: set[str], values: Mapping[str, Any], unparsed: Mapping[str, str]
) -> tuple[int, int]:
    """(filled, labelled): of the submitter's fields whose label was found (the office's
    registration box is empty on what is sent), how many carry a value, read or not."""
    filled = total = 0
    for f in form.fields:
        if f.key not in labelled or f.section == "reg":
            continue
        total += 1
        keys = ("period_start", "period_end") if f.key == "period" else (f.key,)
        if any(values.get(k) not in (None, "", []) or k in unparsed for k in keys):
            filled += 1
    return filled, total


def values_not_read(filled: int, labelled: int) -> Finding | None:
    """The finding for a form whose labels were found with their values (mostly) empty."""
    if labelled < MIN_LABELLED or filled > MAX_FILLED_SHARE * labelled:
        return None
    return Finding(
        VALUES_NOT_READ,
        f"Fälten hittades men bara {filled} av {labelled} värden kunde läsas; "
        "ingen komplettering begärs.",
    )


def sections_not_read(numbers: list[str]) -> Finding:
    which = ", ".join(numbers)
    noun = "avsnitt" if len(numbers) == 1 else "avsnitten"
    return Finding(
        SECTIONS_NOT_READ, f"{noun.capitalize()} {which} kunde inte läsas; kontrollera rapporten."
    )


def read_by_ocr() -> Finding:
    """The finding on every report read by OCR: staff check its fields."""
    return Finding(
        READ_BY_OCR,
        "Läst med OCR (inskannad bild), kontrollera fälten; ingen komplettering begärs.",
    )


def read_from(source: str) -> Finding | None:
    """The finding that a report was read from a source that never asks for a completion."""
    if source not in READ_FROM_SOURCE:
        return None
    code, message = READ_FROM_SOURCE[source]
    return Finding(code, message)


def for_registration(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The findings a document is registered with. Only a recognised form may ask the sender
    for a completion (a report is "incomplete" on missing_field or unsigned): when the form was
    not recognised, what looks missing may be there under words we do not know, and when its
    labels were found with empty values, the values may be there in a shape we did not read;
    and a report read from the mail body may have lost what the mail program changed; so
    those findings give way to the one that sends the report to staff."""
    items = [dict(f) for f in findings]
    if not any(f.get("code") in NO_COMPLETION_CODES for f in items):
        return items
    return [f for f in items if f.get("code") not in COMPLETION_CODES]
