"""Report extraction: DOCX and PDF slutrapporter to fields, sections and findings, safely.

Use `extract_isolated` (or `extract_path`) for anything that arrived by mail: it checks the file
and parses it in a child process under memory and time limits.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.extract.api import extract_bytes, extract_isolated, extract_path
    from intake.extract.model import Extraction, ExtractionError, ExtractLimits, Finding
    from intake.extract.preflight import DOCX_MEDIA_TYPE, PDF_MEDIA_TYPE, media_type_for

# Each name's module, imported when the name is first asked for: a program that needs one
# module of the reader (`casefile show` describing a signature) loads only that one.
_HOMES = {
    "extract_bytes": "api",
    "extract_isolated": "api",
    "extract_path": "api",
    "Extraction": "model",
    "ExtractionError": "model",
    "ExtractLimits": "model",
    "Finding": "model",
    "DOCX_MEDIA_TYPE": "preflight",
    "PDF_MEDIA_TYPE": "preflight",
    "media_type_for": "preflight",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DOCX_MEDIA_TYPE",
    "PDF_MEDIA_TYPE",
    "ExtractLimits",
    "Extraction",
    "ExtractionError",
    "Finding",
    "extract_bytes",
    "extract_isolated",
    "extract_path",
    "media_type_for",
]
