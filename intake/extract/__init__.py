"""Report extraction: DOCX and PDF slutrapporter to fields, sections and findings, safely.

Use `extract_isolated` (or `extract_path`) for anything that arrived by mail: it checks the file
and parses it in a child process under memory and time limits.
"""

from intake.extract.api import extract_bytes, extract_isolated, extract_path
from intake.extract.model import Extraction, ExtractionError, ExtractLimits, Finding
from intake.extract.preflight import DOCX_MEDIA_TYPE, PDF_MEDIA_TYPE, media_type_for

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
