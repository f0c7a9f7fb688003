"""A registration copy: a document's bytes with the office's registration (diarienummer,
arrival date, the officer's signature) written onto a NEW file, as the office writes them into
the form's registration box on paper. The registered original is never written to: these
functions take bytes and return new bytes (`casefile copy` does the I/O).

- PDF: a text stamp in the top margin of page 1, added in an incremental update of the copy
  (pyHanko). An e-signed original's copy no longer carries a valid signature over its content.
- DOCX: the form's own registration box (a table with the labels for diarienummer, signature
  and arrival date, as intake/extract/forms/slutrapport.toml names them): each empty value is
  filled; a value already there is never overwritten. Without a box, or when a value could not
  be placed, a first paragraph at the top says the whole registration.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

PDF = "pdf"
DOCX = "docx"

# The registration box's labels, as the form definitions name them (slutrapport.toml,
# section "reg"); compared casefolded, without diacritics and punctuation.
LABELS = {
    "reference": ("diarienummer", "dnr", "diarienr"),
    "signature": ("signatur",),
    "received": ("ankomstdatum", "inkom", "inkommen"),
}
MARGIN = 4.0  # points from the page's top edge to the stamp's box
HEIGHT = 50.0  # the stamp's box: three 10-point lines and pyHanko's text box padding
SIDE = 36.0  # points from the page's left and right edges


class CopyError(Exception):
    """The file cannot be read as its type says (a one-line reason)."""


@dataclass(frozen=True)
class Registration:
    reference: str  # the diarienummer
    received: str  # the arrival date, ISO, in the registry's zone
    signature: str  # "AKH 2026-02-10", or the words for "not signed"

    def pairs(self) -> list[str]:
        return [
            f"Diarienummer: {self.reference}",
            f"Ankomstdatum: {self.received}",
            f"Signatur: {self.signature}",
        ]

    def line(self) -> str:
        return "   ".join(self.pairs())


def kind_of(name: str | None, media_type: str) -> str | None:
    """PDF, DOCX or None (no copy can be made), from the media type or the file name."""
    lower = (name or "").lower()
    if media_type == "application/pdf" or lower.endswith(".pdf"):
        return PDF
    if (
        media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        or lower.endswith(".docx")
    ):
        return DOCX
    return None


def is_e_signed(data: bytes) -> bool:
    """Whether the PDF holds an embedded signature (valid or not)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with warnings.catch_warnings():
        # pyHanko imports cryptography's DSA when it looks at a signature, and the import
        # warns that DSA is deprecated: not ours to say to the office.
        warnings.simplefilter("ignore")
        try:
            return bool(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
        except Exception:  # a damaged file: stamp_pdf says so
            return False


def stamp_pdf(data: bytes, reg: Registration) -> bytes:
    """`data` with the registration stamped in the top margin of page 1, as a new revision."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in is_e_signed
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.layout import (
            AxisAlignment,
            BoxConstraints,
            InnerScaling,
            Margins,
            SimpleBoxLayoutRule,
        )
        from pyhanko.stamp import TextStamp, TextStampStyle

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        x0, _, x1, y1 = _first_page_box(writer)
        # One line per value, as a box on paper has: a reader (the extractor) then reads
        # "Diarienummer: …" as that field alone.
        style = TextStampStyle(
            stamp_text="\n".join(reg.pairs()),
            border_width=0,
            background=None,
            inner_content_layout=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MAX,
                margins=Margins(0, 0, 0, 0),
                inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
            ),
        )
        box = BoxConstraints(width=int(x1 - x0 - 2 * SIDE), height=int(HEIGHT))
        TextStamp(writer, style, box=box).apply(0, int(x0 + SIDE), int(y1 - MARGIN - HEIGHT))
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
    except Exception as exc:  # pyHanko raises its own errors for any damage in the file
        raise CopyError(_first_line(exc)) from None
    return out.getvalue()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _first_page_box(writer: Any) -> tuple[float, float, float, float]:
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    box = page.get("/CropBox") or page["/MediaBox"]
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def _label_of(text: str) -> tuple[str, str] | None:
    """(field, what follows the label) when `text` starts with one of the box's labels."""
    folded = _fold(text)
    for key, labels in LABELS.items():
        for label in labels:
            if folded == label or folded.startswith(label + " "):
                return key, folded[len(label) :].strip()
    return None


def _text(cell: Any) -> str:
    """All of a cell's text, content controls included (python-docx's `text` skips them)."""
    return "\n".join("".join(p.xpath(".//w:t/text()")) for p in cell._tc.xpath(".//w:p"))


def _is_empty(cell: Any) -> bool:
    return not _fold(_text(cell))


def fill_docx(data: bytes, reg: Registration) -> tuple[bytes, bool]:
    """`data` with the registration in the form's box; (new bytes, whether the box took all
    three values). Otherwise the registration is also written as a first paragraph."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a damaged package
        raise CopyError(_first_line(exc)) from None
    values = {"reference": reg.reference, "signature": reg.signature, "received": reg.received}
    placed: set[str] = set()
    for table in document.tables:
        found = _fill_table(table, values)
        if found is not None:  # the first box is the form's; a later one is not looked for
            placed = found
            break
    in_box = placed == set(values)
    if not in_box:
        body = document.element.body
        paragraph = document.add_paragraph(reg.line())
        body.remove(paragraph._p)
        body.insert(0, paragraph._p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), in_box


def _fill_table(table: Any, values: dict[str, str]) -> set[str] | None:
    """Fill the empty values of a registration box; the fields placed (None when the table is
    not the box: fewer than two of its labels)."""
    rows = table.rows
    grid = [list(row.cells) for row in rows]
    labelled: list[tuple[int, int, str, str]] = []
    for r, cells in enumerate(grid):
        for c, cell in enumerate(cells):
            if c and cells[c - 1]._tc is cell._tc:
                continue  # a merged cell, seen already
            hit = _label_of(_text(cell))
            if hit is not None:
                labelled.append((r, c, hit[0], hit[1]))
    if len({key for _, _, key, _ in labelled}) < 2:
        return None
    label_cells = {grid[r][c]._tc for r, c, _, _ in labelled}
    placed: set[str] = set()
    for r, c, key, rest in labelled:
        if key in placed:
            continue
        if rest:
            continue  # a value written after the label in the same cell: keep it
        below = grid[r + 1][c] if r + 1 < len(grid) and c < len(grid[r + 1]) else None
        right = grid[r][c + 1] if c + 1 < len(grid[r]) else None
        target = None
        for cell in (below, right):
            if cell is not None and cell._tc not in label_cells and cell._tc is not grid[r][c]._tc:
                if _is_empty(cell):
                    target = cell
                break
        else:
            target = grid[r][c]  # label and value share the cell
        if target is None:
            continue  # a value is already there
        target.add_paragraph(values[key])
        placed.add(key)
    return placed
