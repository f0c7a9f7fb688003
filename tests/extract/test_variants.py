"""Reports filled in as real senders fill them (tools/fixtures/make_variants.py): each changes
one thing against a correct report, or is another form altogether. Every field and answer must
come out as the generator wrote it, in DOCX and in PDF."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from intake.extract import Extraction, extract_bytes
from intake.extract.form import FIELD_KEYS

VARIANTS = Path(__file__).resolve().parent.parent / "fixtures" / "variants"
NAMES = sorted(p.stem for p in VARIANTS.glob("*.json"))
CASES = [(n, ext) for n in NAMES for ext in ("docx", "pdf")]


def _truth(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VARIANTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


@cache
def extracted(name: str, ext: str) -> Extraction:
    path = VARIANTS / f"{name}.{ext}"
    return extract_bytes(path.read_bytes(), path.name)


def test_every_variant_the_issue_names_is_there() -> None:
    """Given the committed variants, then each named change exists as DOCX, PDF and truth."""
    wanted = [
        "headings_reworded",
        "headings_unnumbered",
        "headings_lettered",
        "label_colon_paragraphs",
        "label_synonyms",
        "type_word_after",
        "helpers_deleted",
        "helpers_typed_over",
        "answer_box_split",
        "long_cells_side_by_side",
        "empty_labelled_cell",
        "lagesrapport",
        "arvsfond_style",
        "headings_roman",
        "helpers_same_line",
        "label_other_funders",
        "office_contacts_colon",
        "two_columns",
    ]
    for part in wanted:
        names = [n for n in NAMES if part in n]
        assert names, part
        for n in names:
            assert (VARIANTS / f"{n}.pdf").read_bytes().startswith(b"%PDF-")
            assert (VARIANTS / f"{n}.docx").stat().st_size > 0


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_fields(name: str, ext: str) -> None:
    """Given a variant, when extracted, then every field equals the generator's truth."""
    result = extracted(name, ext)
    truth = _truth(name)["fields"]
    assert {k: result.fields[k] for k in FIELD_KEYS} == truth


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_answers(name: str, ext: str) -> None:
    """Given a variant, then every answer is the sender's text: no heading, no helper text."""
    result = extracted(name, ext)
    truth = _truth(name)["sections"]
    assert {k: result.sections.get(k, "") for k in truth} == truth


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_form_and_type(name: str, ext: str) -> None:
    """The definition used and the document type are the ones the report was built from."""
    result = extracted(name, ext)
    truth = _truth(name)
    assert result.document_type == truth["document_type"]
    assert result.form == truth["form"]
    if truth["form"] != "generic":
        assert result.form_confidence >= 0.6
        assert "form_not_recognised" not in {f.code for f in result.findings}


@pytest.mark.parametrize(("name", "ext"), [c for c in CASES if c[0].startswith("v")])
def test_findings_of_slutrapport_variants(name: str, ext: str) -> None:
    """A variant changes no finding: none of its present fields is reported missing."""
    result = extracted(name, ext)
    codes = sorted(
        f.code + (f":{f.field}" if f.code == "missing_field" else "") for f in result.findings
    )
    assert codes == _truth(name)["finding_codes"]


@pytest.mark.parametrize(("name", "ext"), [c for c in CASES if c[0].startswith("g")])
def test_other_funders_forms_never_ask_for_completion(name: str, ext: str) -> None:
    """Given another funder's form (read through the generic definition), then staff are told
    the form was not recognised, so no completion request can follow."""
    from intake.extract.findings import for_registration

    result = extracted(name, ext)
    codes = {f.code for f in result.findings}
    assert "form_not_recognised" in codes
    kept = {f["code"] for f in for_registration(result.to_json()["findings"])}
    assert not kept & {"missing_field", "unsigned"}
