"""Public entry points: in-process extraction and file-path convenience."""

from __future__ import annotations

from pathlib import Path

from intake.extract.model import Extraction, ExtractionError, ExtractLimits
from intake.extract.preflight import check_size, preflight

DEFAULT_LIMITS = ExtractLimits()


def extract_bytes(data: bytes, filename: str, limits: ExtractLimits = DEFAULT_LIMITS) -> Extraction:
    """Pre-check and parse in this process. Raises ExtractionError."""
    from intake.extract.parse import parse

    kind = preflight(data, filename, limits)
    try:
        return parse(data, kind, limits)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError(
            "memory", f"Filen {filename} krävde för mycket minne för att tolkas."
        ) from exc
    except RecursionError as exc:
        raise ExtractionError(
            "corrupt", f"Filen {filename} är skadad (för djup struktur)."
        ) from exc


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
    if isolated:
        return extract_isolated(data, p.name, limits)
    return extract_bytes(data, p.name, limits)
