"""README promise: a report is signed only with both a date and a name in section 8.

Built from a real fixture with one of the two blanked, so exactly one is present. Checked to fail
when the signed check takes either one (see tests/MUTANTS.md).
"""

from __future__ import annotations

import io

import pytest
from docx import Document

from intake.extract import extract_bytes
from tests.support.mail import REPORTS

SIGNED = REPORTS / "r01_cell_iso_endash.docx"


def _section_8_with(keep: str) -> bytes:
    """r01 with the value under 'Datum' or under 'Namn' in section 8 removed."""
    doc = Document(str(SIGNED))
    section_8 = doc.tables[-1]
    cells = section_8.rows[0].cells
    labels = [c.paragraphs[0].text for c in cells]
    assert labels == ["Datum", "Namn"]
    blank = cells[1] if keep == "date" else cells[0]
    for paragraph in blank.paragraphs[1:]:
        for run in paragraph.runs:
            run.text = ""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_the_fixture_with_both_is_signed() -> None:
    result = extract_bytes(SIGNED.read_bytes(), "r.docx")
    assert result.submitter_signed is True
    assert "unsigned" not in [f.code for f in result.findings]


@pytest.mark.parametrize(
    ("keep", "present", "absent", "says"),
    [
        ("date", "submitter_date", "submitter_name", "saknar namn."),
        ("name", "submitter_name", "submitter_date", "saknar datum."),
    ],
)
def test_only_a_date_or_only_a_name_is_unsigned(
    keep: str, present: str, absent: str, says: str
) -> None:
    """Given section 8 with only a date (or only a name), the report is unsigned, and the
    finding names what is missing."""
    result = extract_bytes(_section_8_with(keep), "r.docx")
    assert result.fields.get(present)
    assert not result.fields.get(absent)
    assert result.submitter_signed is False
    unsigned = [f.message for f in result.findings if f.code == "unsigned"]
    assert unsigned == [f"Avsnitt 8, Uppgiftslämnare, {says}"]
