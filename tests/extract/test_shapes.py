"""Reports in every shape (issue 27), read through `intake extract`: what each shape gives,
compared with the truth its generator wrote (tools/fixtures/make_shapes.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from pdfminer.psparser import LIT

from intake.extract import ExtractionError, ExtractLimits, extract_bytes, extract_path
from intake.extract.findings import (
    filled_share,
    for_registration,
    values_not_read,
)
from intake.extract.forms import default_form
from intake.extract.pdf_form import MAX_FIELD_CHARS, field_value, place
from intake.extract.zip_reports import is_archive, open_reports

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"
LIMITS = ExtractLimits()


def truth(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHAPES / f"{name}.json").read_text(encoding="utf-8"))
    return data


# --- the rule: labels found, values empty -------------------------------------------------


@pytest.mark.parametrize(
    ("filled", "labelled", "flagged"),
    [(0, 11, True), (2, 11, True), (3, 11, False), (11, 11, False), (0, 2, False)],
)
def test_values_not_read_when_labels_are_found_with_mostly_empty_values(
    filled: int, labelled: int, flagged: bool
) -> None:
    finding = values_not_read(filled, labelled)
    assert (finding is not None) == flagged
    if finding is not None:
        assert finding.code == "values_not_read"
        assert f"{filled} av {labelled}" in finding.message
        assert "ingen komplettering" in finding.message


def test_filled_share_counts_the_senders_fields_not_the_registration_box() -> None:
    form = default_form()
    labelled = {"reference", "received_date", "title", "period", "partners", "contact_email"}
    values: dict[str, Any] = {"reference": "SFG 26-01", "title": "", "partners": ["Region"]}
    # period is unreadable text: a value was there, so it counts as filled.
    assert filled_share(form, labelled, values, {"period_start": "hösten"}) == (2, 4)


def test_values_not_read_sends_the_report_to_staff_not_to_completion() -> None:
    missing = {"code": "missing_field", "message": "m", "field": "title"}
    unsigned = {"code": "unsigned", "message": "u"}
    flag = values_not_read(0, 9)
    assert flag is not None
    assert for_registration([missing, flag.to_json(), unsigned]) == [flag.to_json()]


def test_a_blank_fillable_form_is_flagged_not_asked_to_complete() -> None:
    """Given the form with every label and no value, then it is flagged 'values not read' and
    nothing asks the sender for a completion."""
    path = SHAPES / "f02_fillable_form_blank.pdf"
    result = extract_bytes(path.read_bytes(), path.name)
    assert result.form == "slutrapport" and result.form_confidence >= 0.6
    codes = {f["code"] for f in for_registration(result.to_json()["findings"])}
    assert "values_not_read" in codes
    assert not codes & {"missing_field", "unsigned"}


# --- fillable PDFs (AcroForm) ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["f01_fillable_form", "f03_fillable_form_printed"])
def test_a_fillable_pdf_is_read_from_its_form_fields(name: str) -> None:
    """Given a fillable PDF whose values live only in its form fields (one answer far longer
    than its box), then every field and answer of the truth is read, the source is "pdf_form",
    and nothing is reported missing; given the same with its short values also printed on the
    page, each value is read once."""
    expected = truth(name)
    result = extract_bytes((SHAPES / f"{name}.pdf").read_bytes(), f"{name}.pdf")
    out = result.to_json()
    assert out["source"] == expected["source"] == "pdf_form"
    assert {k: out["fields"][k] for k in expected["fields"]} == expected["fields"]
    assert {k: out["sections"][k] for k in expected["sections"]} == expected["sections"]
    codes = {f["code"] for f in out["findings"]}
    assert not codes & {"missing_field", "unsigned", "values_not_read"}


def test_a_blank_fillable_pdf_says_pdf() -> None:
    path = SHAPES / "f02_fillable_form_blank.pdf"
    assert extract_bytes(path.read_bytes(), path.name).source == "pdf"


def test_a_field_value_is_capped_and_a_ticked_box_reads_x() -> None:
    huge = {"FT": LIT("Tx"), "V": b"x" * 10_000_000}
    assert len(field_value(huge)) == MAX_FIELD_CHARS
    assert field_value({"FT": LIT("Btn"), "V": LIT("Ja"), "AS": LIT("Ja")}) == "X"
    assert field_value({"FT": LIT("Btn"), "V": LIT("Off"), "AS": LIT("Off")}) == ""
    # Inherited from the parent field, UTF-16 with its byte order mark.
    kid = {"Parent": {"FT": LIT("Tx"), "V": "\ufeffÖrebro".encode("utf-16-be")}}
    assert field_value(kid) == "Örebro"


def test_a_long_value_is_placed_inside_its_box() -> None:
    box = (100.0, 200.0, 300.0, 240.0)
    placed = place("ord " * 500, box)
    assert len([p for p in placed if p.text.strip()]) == 3 * 500
    assert all(box[0] <= p.x0 and p.x1 <= box[2] for p in placed)
    assert all(box[1] <= p.top and p.bottom <= box[3] for p in placed)


# --- DOCX: content controls, tracked changes, the registration box in a text box ------------

DOCX_CASES = {
    # An empty control's placeholder is neither the workplace, a samverkanspart nor answer
    # 6.3; a date picker keeps its date.
    "c01_content_controls": ("workplace", "partners", "submitter_date", "6.3"),
    # Answer 4.2 moved to the end of 5.3 with tracked changes: read only where it is now.
    "c02_tracked_changes": ("title", "4.2", "5.3"),
    # The registration box drawn as a table inside a text box, top right.
    "c03_registration_box_text_box": ("reference", "registrar_signature", "received_date"),
}


@pytest.mark.parametrize("name", sorted(DOCX_CASES))
def test_a_word_variant_reads_as_its_truth(name: str) -> None:
    """Given the seed report changed the way Word users change it, then every field and answer
    of the truth is read (the changed ones named in DOCX_CASES are checked first)."""
    expected = truth(name)
    out = extract_bytes((SHAPES / f"{name}.docx").read_bytes(), f"{name}.docx").to_json()
    assert out["source"] == "docx"
    got = {**out["fields"], **out["sections"]}
    want = {**expected["fields"], **expected["sections"]}
    assert {k: got[k] for k in DOCX_CASES[name]} == {k: want[k] for k in DOCX_CASES[name]}
    assert {k: got[k] for k in want} == want
    assert not {f["code"] for f in out["findings"]} & {"missing_field", "unsigned"}


# --- zip attachments -------------------------------------------------------------------------


def test_a_zip_is_read_through_its_docx(tmp_path: Path) -> None:
    """Given a zip holding the report as PDF and DOCX (in a folder, beside an image), then
    `intake extract` reads the DOCX entry, with every field and answer of the truth."""
    expected = truth("z01_docx_and_pdf")
    result = extract_path(SHAPES / "z01_docx_and_pdf.zip", isolated=False)
    out = result.to_json()
    assert out["archive_entry"] == expected["archive_entry"] and out["source"] == "docx"
    assert out["fields"] == expected["fields"]
    assert out["sections"] == expected["sections"]
    contents = open_reports((SHAPES / "z01_docx_and_pdf.zip").read_bytes(), "z.zip", LIMITS)
    assert [name for name, _ in contents.reports] == expected["entries"]


def test_a_zip_in_a_zip_is_named_not_opened() -> None:
    data = (SHAPES / "z02_zip_in_zip.zip").read_bytes()
    contents = open_reports(data, "z02.zip", LIMITS)
    assert contents.reports == [] and [n for n, _ in contents.nested] == ["inre.zip"]
    with pytest.raises(ExtractionError) as caught:
        extract_path(SHAPES / "z02_zip_in_zip.zip", isolated=False)
    assert "inre.zip" in str(caught.value) and "\n" not in str(caught.value)


def test_a_zip_over_the_zip_limits_is_refused_in_one_line() -> None:
    data = (SHAPES / "z01_docx_and_pdf.zip").read_bytes()
    with pytest.raises(ExtractionError) as entries:
        open_reports(data, "z01.zip", dataclasses.replace(LIMITS, max_zip_entries=2))
    assert entries.value.code == "zip_bomb" and "för många filer (3" in str(entries.value)
    # The expansion is counted as the entries are read, whatever sizes they declare.
    with pytest.raises(ExtractionError) as expansion:
        open_reports(data, "z01.zip", dataclasses.replace(LIMITS, max_uncompressed_bytes=50_000))
    assert expansion.value.code == "zip_bomb"


def test_a_document_is_not_taken_for_an_archive() -> None:
    assert is_archive((SHAPES / "z01_docx_and_pdf.zip").read_bytes())
    assert not is_archive((SHAPES / "c01_content_controls.docx").read_bytes())
    assert not is_archive((SHAPES / "f01_fillable_form.pdf").read_bytes())
