"""Result and error types of report extraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from intake.extract.form import FIELD_KEYS, SECTION_KEYS

DOCUMENT_TYPES = ("slutrapport", "delrapport", "ansokan", "unknown")
# The signature statuses (signatures.py) under which the submitter counts as having signed
# (`submitter_signed`).
SIGNED = frozenset({"e_signed", "e_signed_unverified", "handwritten", "typed"})


@dataclass(frozen=True)
class Finding:
    """Something an officer should look at; `message` is one Swedish sentence."""

    code: str
    message: str
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class Extraction:
    """What was read from one report."""

    document_type: str
    fields: dict[str, Any]
    sections: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    # The form definition it was read with, and the share of that form's labels found.
    form: str = "slutrapport"
    form_confidence: float = 1.0
    # What the text was read from: "docx", "pdf", "pdf_form", "odt", "doc", "rtf" (see
    # layout.Layout.source).
    source: str = ""
    # The entry of a zip archive it was read from (intake extract FILE.zip), else "".
    archive_entry: str = ""
    # Signature evidence in document order (signatures.py) and the status it gives; "" when
    # not judged (then `submitter_signed` falls back on section 8's date and name).
    signatures: list[dict[str, Any]] = field(default_factory=list)
    signature_status: str = ""
    # Read by OCR: {"pages": N, "mean_confidence": 0.91}, and per field the mean confidence
    # (0..1) of the words its value came from.
    ocr: dict[str, Any] | None = None
    field_confidence: dict[str, float] = field(default_factory=dict)
    # The validation report of the PDF signatures (signatures.check_digital), kept with the
    # registered document as a file of its own; None when the file has no PDF signature.
    signature_report: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        sections = {k: self.sections.get(k, "") for k in SECTION_KEYS}
        sections.update((k, v) for k, v in self.sections.items() if k not in sections)
        out: dict[str, Any] = {
            "document_type": self.document_type,
            "fields": {k: self.fields.get(k) for k in FIELD_KEYS},
            "sections": sections,
            "findings": [f.to_json() for f in self.findings],
            "form": self.form,
            "form_confidence": self.form_confidence,
            "source": self.source,
            "signatures": self.signatures,
            "signature_status": self.signature_status,
        }
        if self.archive_entry:
            out["archive_entry"] = self.archive_entry
        if self.ocr is not None:
            out["ocr"] = self.ocr
            out["field_confidence"] = self.field_confidence
        if self.signature_report is not None:
            out["signature_validation"] = self.signature_report
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Extraction:
        findings = [
            Finding(str(f["code"]), str(f["message"]), f.get("field"))
            for f in data.get("findings", [])
        ]
        return cls(
            document_type=str(data["document_type"]),
            fields=dict(data["fields"]),
            sections={str(k): str(v) for k, v in data["sections"].items()},
            findings=findings,
            form=str(data.get("form", "slutrapport")),
            form_confidence=float(data.get("form_confidence", 1.0)),
            source=str(data.get("source", "")),
            archive_entry=str(data.get("archive_entry", "")),
            signatures=[dict(e) for e in data.get("signatures", [])],
            signature_status=str(data.get("signature_status", "")),
            ocr=data.get("ocr"),
            field_confidence=dict(data.get("field_confidence", {})),
            signature_report=data.get("signature_validation"),
        )

    @property
    def submitter_signed(self) -> bool:
        """Signed in any way the status counts (e-signed, by hand, typed), or, when the status
        was not judged, section 8 (Uppgiftslämnare) carries both a date and a name."""
        if self.signature_status:
            return self.signature_status in SIGNED
        return bool(self.fields.get("submitter_date")) and bool(self.fields.get("submitter_name"))


ERROR_CODES = (
    "too_large",
    "zip_bomb",
    "encrypted",
    "corrupt",
    "empty",
    "wrong_type",
    "timeout",
    "memory",
    "unsupported",
)


class ExtractionError(Exception):
    """A file we refuse or cannot read; str(e) is one Swedish line naming the problem."""

    def __init__(self, code: str, message: str) -> None:
        # One line, always: the message ends up in logs, mail and the CLI.
        message = " ".join(message.split())
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (ExtractionError, (self.code, self.message))


class LimitValues(Protocol):
    """The `[limits]` values extraction reads (casefile.config.LimitsSettings has them). The
    reader stands on nothing above it: the settings come in as plain values."""

    @property
    def max_attachment_bytes(self) -> int: ...
    @property
    def max_zip_entries(self) -> int: ...
    @property
    def max_uncompressed_bytes(self) -> int: ...
    @property
    def max_compression_ratio(self) -> float: ...
    @property
    def max_pdf_pages(self) -> int: ...
    @property
    def pdf_layout_pages(self) -> int: ...
    @property
    def parse_timeout_seconds(self) -> float: ...
    @property
    def parse_memory_mb(self) -> int: ...


@dataclass(frozen=True)
class ExtractLimits:
    """Resource limits for one attachment. The defaults equal the service's `[limits]`
    defaults (casefile.config.LimitsSettings; tests/extract/test_forms_and_limits.py keeps the
    two equal), so extraction has the same limits whichever way it is started."""

    max_bytes: int = 25 * 1024 * 1024
    max_zip_entries: int = 2000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_pdf_pages: int = 200
    pdf_layout_pages: int = 30
    timeout_seconds: float = 30.0
    memory_bytes: int = 256 * 1024 * 1024
    # Not a limit, but it travels the same way to the parsing child: extra form definitions
    # (`[extraction] forms`) and the confidence below which a form counts as not recognised.
    forms: tuple[str, ...] = ()
    min_confidence: float = 0.6
    # `[signatures] trust_roots` (PEM bundles) and the registry's zone for signing times.
    trust_roots: tuple[str, ...] = ()
    timezone: str = "Europe/Stockholm"
    # `[extraction] ocr`, `ocr_languages`, `ocr_max_pages` (see ocr.py).
    ocr: bool = True
    ocr_languages: str = "swe+eng"
    ocr_max_pages: int = 40
    # ODT, DOC and RTF through LibreOffice (`[extraction] convert`).
    convert: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExtractLimits:
        data = dict(data)
        data["forms"] = tuple(data.get("forms", ()))
        data["trust_roots"] = tuple(data.get("trust_roots", ()))
        return cls(**data)

    @classmethod
    def from_settings(cls, limits: LimitValues, **extra: Any) -> ExtractLimits:
        return cls(
            max_bytes=limits.max_attachment_bytes,
            max_zip_entries=limits.max_zip_entries,
            max_uncompressed_bytes=limits.max_uncompressed_bytes,
            max_compression_ratio=limits.max_compression_ratio,
            max_pdf_pages=limits.max_pdf_pages,
            pdf_layout_pages=limits.pdf_layout_pages,
            timeout_seconds=limits.parse_timeout_seconds,
            memory_bytes=limits.parse_memory_mb * 1024 * 1024,
            **extra,
        )
