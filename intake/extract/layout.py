"""The reader-neutral view of a document that the form interpreter works on.

Both readers reduce a file to paragraphs in reading order plus table cells with boxes, so that
one interpreter (interpret.py) serves DOCX and PDF alike. Coordinates grow downwards; `y` is
global over the document (PDF: page offset plus position; DOCX: a running row counter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BULLET = "• "


@dataclass
class Para:
    """A paragraph of text (already cleaned); bullet items start with BULLET."""

    text: str
    y: float
    x: float = 0.0
    in_cell: bool = False
    # How it looks (for headings and helper texts): font size in points (0 = unknown),
    # mostly bold / italic, a heading style, a helper look (grey, placeholder, helper style).
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    heading: bool = False
    helper: bool = False
    bullet: bool = False


@dataclass
class Cell:
    """A table cell with its box and its paragraphs."""

    x0: float
    y0: float
    x1: float
    y1: float
    paras: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(p.removeprefix(BULLET) for p in self.paras if p)


@dataclass
class Layout:
    """Paragraphs in reading order and table cells; `tol` is the coordinate tolerance."""

    paras: list[Para]
    cells: list[Cell]
    tol: float
    pages: int = 1
    # PDF: global y of page n starts at n * page_stride; None when there are no pages (DOCX).
    page_stride: float | None = None
    # PDF: the plain text of the pages after those laid out (appendices), for search only.
    appendix: str = ""
    # What the text was read from, as `intake extract --json` names it: "docx", "pdf",
    # "pdf_form" (a fillable PDF's field values), "ocr" (a scan or photo), ...
    source: str = ""
    # OCR only: {"pages", "mean_confidence"}, and each word's mean confidence (0..1) by its
    # casefolded text, for the confidence per field (ocr.field_confidence).
    ocr: dict[str, Any] | None = None
    word_confidence: dict[str, float] = field(default_factory=dict)
    # OCR only: handwriting found in the signature section (handwriting.evidence entries).
    signatures: list[dict[str, Any]] = field(default_factory=list)
