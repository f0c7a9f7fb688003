"""Result and error types of report extraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from intake.extract.form import FIELD_KEYS, SECTION_KEYS

DOCUMENT_TYPES = ("slutrapport", "delrapport", "ansokan", "unknown")


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

    def to_json(self) -> dict[str, Any]:
        return {
            "document_type": self.document_type,
            "fields": {k: self.fields.get(k) for k in FIELD_KEYS},
            "sections": {k: self.sections.get(k, "") for k in SECTION_KEYS},
            "findings": [f.to_json() for f in self.findings],
        }

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
        )

    @property
    def submitter_signed(self) -> bool:
        """Section 8 (Uppgiftslämnare) carries both a date and a name."""
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


@dataclass(frozen=True)
class ExtractLimits:
    """Resource limits for one attachment."""

    max_bytes: int = 25 * 1024 * 1024
    max_zip_entries: int = 2000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_pdf_pages: int = 200
    timeout_seconds: float = 30.0
    memory_bytes: int = 512 * 1024 * 1024
