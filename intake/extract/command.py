"""`intake extract FILE [--json]`: print what one report yields; touches no database."""

from __future__ import annotations

import json
import sys
from typing import Any

from intake.extract.api import extract_path
from intake.extract.form import FIELD_KEYS, FIELD_LABELS, HEADINGS, SECTION_KEYS
from intake.extract.model import Extraction, ExtractionError

_TYPE_NAMES = {
    "slutrapport": "Slutrapport",
    "delrapport": "Delrapport",
    "ansokan": "Ansökan",
    "unknown": "Okänt dokument",
}


def _show(value: Any) -> str:
    if value is None or value == []:
        return "–"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ") + " kr"
    return str(value)


def summary(result: Extraction) -> str:
    """A readable Swedish summary: type, 'Etikett: värde' lines, sections, findings."""
    lines = [f"Dokumenttyp: {_TYPE_NAMES.get(result.document_type, result.document_type)}", ""]
    for key in FIELD_KEYS:
        lines.append(f"{FIELD_LABELS[key]}: {_show(result.fields.get(key))}")
    titles = {h.key: h.title for h in HEADINGS}
    lines.append("")
    for key in SECTION_KEYS:
        text = result.sections.get(key, "")
        first = text.split("\n", 1)[0]
        short = first if len(first) <= 70 else first[:69] + "…"
        lines.append(f"{key} {titles[key]}: {short or '(tomt)'}")
    lines.append("")
    if result.findings:
        lines.append("Att kontrollera:")
        lines.extend(f"- {f.message}" for f in result.findings)
    else:
        lines.append("Inget att anmärka.")
    return "\n".join(lines)


def run_extract(path: str, as_json: bool) -> int:
    """Print the extraction of `path`; 0 on success, 1 (with `fel: …` on stderr) on failure."""
    try:
        result = extract_path(path)
    except ExtractionError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(summary(result))
    return 0
