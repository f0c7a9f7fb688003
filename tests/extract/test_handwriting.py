"""Handwriting on scans (issue 29): a report printed, signed by hand and scanned is
`handwritten`; the same page unsigned, or with a typed name, is not. The pages are made at test
time (tools/fixtures/make_handwriting.py): section 8 of a report rendered at 200 dpi, a
signature-like stroke drawn across the Namn cell, then turned, blurred and speckled."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageDraw

from intake.extract import extract_bytes
from intake.extract.handwriting import find_ink, signature_area
from intake.extract.ocr import Word

REPO = Path(__file__).resolve().parents[2]
REPORTS = REPO / "tests" / "fixtures" / "reports"


def load_make_handwriting() -> ModuleType:
    path = REPO / "tools" / "fixtures" / "make_handwriting.py"
    spec = importlib.util.spec_from_file_location("make_handwriting", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_handwriting"] = module
    spec.loader.exec_module(module)
    return module


make = load_make_handwriting()


@pytest.fixture(scope="module")
def section_8() -> tuple[Image.Image, tuple[float, float, float, float]]:
    """The page with section 8 of a report whose section 8 is empty, and the Namn label."""
    pdf = REPORTS / "r04_row_blocksdt_unsigned_nfd.pdf"
    number, label = make.section_8(pdf)
    page: Image.Image = make.render(pdf, number)
    return page, label


def as_pdf(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=200.0)
    return buf.getvalue()


def as_png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_a_signed_scan_is_handwritten_and_an_unsigned_one_is_not(
    section_8: tuple[Image.Image, tuple[float, float, float, float]],
) -> None:
    """Given the page signed by hand and scanned at -2° with heavy noise (an image-only PDF),
    and the same page unsigned at +2.5° (a photo), when extracted through the isolated
    worker, then only the signed one has handwriting, on page 1, with its confidence.
    (Measured over -2°, 0°, 1°, 2.5° at two noise levels, on this report and on one with a
    typed name: every signed page found, no unsigned one flagged.)"""
    page, label = section_8
    signed = extract_bytes(as_pdf(make.scan(make.sign(page, label), -2.0, 30)), "skannad.pdf")
    assert signed.source == "ocr"
    [entry] = [s for s in signed.signatures if s["kind"] == "handwritten"]
    assert entry["page"] == 1 and 0.6 <= entry["confidence"] <= 0.99
    assert signed.to_json()["signatures"][0] == entry
    unsigned = extract_bytes(as_png(make.scan(page, 2.5, 30)), "foto.png")
    assert unsigned.source == "ocr"
    assert [s for s in unsigned.signatures if s["kind"] == "handwritten"] == []
    assert unsigned.signature_status in ("none", "typed", "")


def test_a_typed_name_in_the_box_is_not_ink() -> None:
    """A report whose section 8 has a typed date and name, scanned: the name is printed text
    tesseract reads, not handwriting."""
    pdf = REPORTS / "r01_cell_iso_endash.pdf"
    number, _label = make.section_8(pdf)
    got = extract_bytes(as_png(make.scan(make.render(pdf, number), 1.0, 12)), "typed.png")
    assert got.fields["submitter_date"] == "2025-02-03"
    assert [s for s in got.signatures if s["kind"] == "handwritten"] == []


def _word(text: str, left: int, top: int, width: int = 80, height: int = 20) -> Word:
    return Word(text, left, top, width, height, 95.0, height)


def test_ruling_lines_and_specks_alone_are_not_ink_and_no_heading_means_no_area() -> None:
    img = Image.new("L", (1700, 900), 255)
    draw = ImageDraw.Draw(img)
    words = [_word("Uppgiftslämnare", 100, 100, 300, 36), _word("Namn", 850, 170)]
    # The cell's lines, slightly skewed, and a sprinkle of dust.
    draw.line([(230, 200), (1430, 204)], fill=0, width=3)
    draw.line([(230, 250), (1430, 254)], fill=0, width=3)
    draw.line([(835, 160), (835, 260)], fill=0, width=3)
    for i in range(60):
        draw.point((870 + 9 * i, 225 + (i % 7)), fill=0)
    assert signature_area(words, img.size) is not None
    assert find_ink(img, words) is None
    # A scribble across the cell is ink.
    draw.line([(880, 230), (920, 205), (960, 240), (1000, 200), (1080, 235)], fill=0, width=3)
    assert find_ink(img, words) is not None
    # Without the section's heading there is no signature area at all.
    assert signature_area(words[1:], img.size) is None
    assert find_ink(img, words[1:]) is None
