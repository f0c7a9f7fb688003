"""Public entry points: in-process extraction and file-path convenience."""

from __future__ import annotations

from pathlib import Path

from intake.extract.model import Extraction, ExtractionError, ExtractLimits
from intake.extract.preflight import check_size

DEFAULT_LIMITS = ExtractLimits()


def extract_bytes(
    data: bytes, filename: str, limits: ExtractLimits = DEFAULT_LIMITS, kind: str | None = None
) -> Extraction:
    """Pre-check and parse in this process. Raises ExtractionError. `kind` is given for what
    no file's content says (a mail body, intake/extract/mail_body.py), else found by preflight."""
    from intake.extract.parse import parse_checked

    return parse_checked(data, filename, limits, kind)


def extract_isolated(
    data: bytes, filename: str, limits: ExtractLimits = DEFAULT_LIMITS
) -> Extraction:
    """Like extract_bytes, but parsing runs in a child process under memory and time limits."""
    from intake.extract.isolation import run_isolated

    run = run_isolated(data, filename, limits)
    if run.error is not None:
        raise run.error
    assert run.extraction is not None
    return run.extraction


def extract_path(
    path: str | Path, limits: ExtractLimits = DEFAULT_LIMITS, isolated: bool = True
) -> Extraction:
    """Read a file (size checked before reading) and extract it."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ExtractionError(
            "corrupt", f"Filen {p.name} kunde inte läsas ({exc.strerror})."
        ) from exc
    check_size(size, p.name, limits)
    data = p.read_bytes()
    from intake.extract.zip_reports import is_archive

    if is_archive(data):
        return extract_zip(data, p.name, limits, isolated)
    if isolated:
        return extract_isolated(data, p.name, limits)
    return extract_bytes(data, p.name, limits)


def extract_zip(
    data: bytes, filename: str, limits: ExtractLimits = DEFAULT_LIMITS, isolated: bool = True
) -> Extraction:
    """The report a zip archive holds (one level deep): its DOCX if it has one (the sender's
    own file, as the mail path registers it), else its first readable PDF."""
    import dataclasses

    from intake.extract.zip_reports import open_reports

    contents = open_reports(data, filename, limits)
    nested = ", ".join(name for name, _ in contents.nested)
    if not contents.reports:
        why = f"; zip-filer i zip-filen öppnas inte ({nested})" if nested else ""
        raise ExtractionError(
            "unsupported",
            f"Zip-filen {filename} innehåller ingen rapportfil (DOCX, PDF, ODT, DOC, RTF){why}.",
        )
    results: list[tuple[str, Extraction]] = []
    first_error: ExtractionError | None = None
    for name, entry in contents.reports:
        try:
            run = extract_isolated if isolated else extract_bytes
            results.append((name, run(entry, name, limits)))
        except ExtractionError as exc:
            first_error = first_error or exc
    if not results:
        assert first_error is not None
        raise first_error
    reports = [r for r in results if r[1].document_type != "unknown"] or results
    name, chosen = min(reports, key=lambda r: not r[0].lower().endswith(".docx"))
    return dataclasses.replace(chosen, archive_entry=name)
