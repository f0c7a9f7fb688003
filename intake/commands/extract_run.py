"""What `intake extract FILE [--json]` does, without click: intake/cli.py runs it directly
for a plain command line (start-up time is most of a one-file extraction), and the click
command in intake/commands/extract.py calls the same function."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from intake.extract.api import extract_path
from intake.extract.model import Extraction, ExtractionError, ExtractLimits

# casefile.config.CONFIG_ENV, named here so that a run without a configuration never imports
# the settings' code (tests/extract/test_forms_and_limits.py keeps the two equal).
CONFIG_ENV = "CASEFILE_CONFIG"

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
    """A readable Swedish summary: type, form, 'Etikett: värde' lines, sections, findings."""
    from intake.extract.form import FIELD_KEYS, FIELD_LABELS
    from intake.extract.forms import FormError, builtin

    try:
        form = builtin(result.form)
        titles = {s.number: s.title for s in form.sections}
    except (FormError, FileNotFoundError):
        titles = {}
    lines = [
        f"Dokumenttyp: {_TYPE_NAMES.get(result.document_type, result.document_type)}",
        f"Formulär: {result.form} ({round(result.form_confidence * 100)} % av etiketterna "
        "hittades)",
        "",
    ]
    for key in FIELD_KEYS:
        lines.append(f"{FIELD_LABELS[key]}: {_show(result.fields.get(key))}")
    lines.append("")
    for key, text in result.sections.items():
        first = text.split("\n", 1)[0]
        head = f"{key} {titles.get(key, '')}".strip()
        line = f"{head}: {first or '(tomt)'}"
        lines.append(line if len(line) <= 80 else line[:79] + "…")  # an 80-column terminal
    lines.append("")
    if result.signatures:  # the evidence, one line each, as `casefile show` prints it
        from intake.extract.signatures import describe

        lines.extend(describe(e) for e in result.signatures)
        lines.append("")
    if result.findings:
        lines.append("Att kontrollera:")
        lines.extend(f"- {f.message}" for f in result.findings)
    else:
        lines.append("Inget att anmärka.")
    return "\n".join(lines)


def limits_for(config_path: str | None) -> ExtractLimits:
    """The service's limits and forms when a configuration is given (--config or
    CASEFILE_CONFIG), else the same defaults as the service. Raises ValueError (one line per
    problem) for a bad configuration or form definition."""
    if not config_path and not os.environ.get(CONFIG_ENV):
        return ExtractLimits()  # without the settings' code: `intake extract` starts light
    from casefile.config import ConfigError, load_settings
    from intake.extract.forms import FormError, load_forms

    path = config_path or os.environ[CONFIG_ENV]
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc
    ext = settings.extraction
    limits = ExtractLimits.from_settings(
        settings.limits,
        forms=tuple(ext.forms),
        min_confidence=ext.min_confidence,
        trust_roots=tuple(settings.signatures.trust_roots),
        timezone=settings.registry.timezone,
        ocr=ext.ocr,
        ocr_languages=ext.ocr_languages,
        ocr_max_pages=ext.ocr_max_pages,
        convert=ext.convert,
    )
    try:
        load_forms(limits.forms)
    except FormError as exc:
        raise ValueError(str(exc)) from exc
    if limits.trust_roots:
        from intake.extract.signatures import unreadable_roots

        problems = unreadable_roots(limits.trust_roots)
        if problems:
            raise ValueError("\n".join(problems))
    return limits


def _failed(lines: list[str]) -> int:
    """`fel: …` (`error: …` under CASEFILE_LANG=en) on stderr, one line each; exit status 1."""
    from casefile.cli_support import error_line  # only on failure: extraction starts light

    for line in lines:
        print(error_line(line), file=sys.stderr)
    return 1


def run_extract(path: str, as_json: bool, config_path: str | None = None) -> int:
    """Print the extraction of `path`; 0 on success, 1 (with `fel: …` on stderr) on failure."""
    try:
        limits = limits_for(config_path)
    except ValueError as exc:
        return _failed(str(exc).splitlines())
    try:
        result = extract_path(path, limits)
    except ExtractionError as exc:
        return _failed([str(exc)])
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(summary(result))
    return 0
