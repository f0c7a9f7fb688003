"""Every field and section of every generated fixture, DOCX and PDF, against the generator's
truth (tools/fixtures/make_reports.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from conftest import FIXTURES, fixture_names, truth

from intake.extract import Extraction, extract_bytes, extract_isolated
from intake.extract.form import FIELD_KEYS, SECTION_KEYS

NAMES = fixture_names()
CASES = [(n, ext) for n in NAMES for ext in ("docx", "pdf")]


@cache
def extracted(name: str, ext: str) -> Extraction:
    path = FIXTURES / f"{name}.{ext}"
    return extract_bytes(path.read_bytes(), path.name)


def _codes(result: Extraction) -> list[str]:
    return sorted(
        f.code + (f":{f.field}" if f.code == "missing_field" else "") for f in result.findings
    )


def test_fixture_set_covers_the_spec() -> None:
    """Given the committed fixtures, then every layout, both formats and all types exist."""
    assert len(NAMES) >= 10
    kinds = {truth(n)["document_type"] for n in NAMES}
    assert kinds == {"slutrapport", "delrapport", "ansokan", "unknown"}
    for n in NAMES:
        assert (FIXTURES / f"{n}.docx").stat().st_size > 0
        assert (FIXTURES / f"{n}.pdf").read_bytes().startswith(b"%PDF-")
    total = sum(p.stat().st_size for p in FIXTURES.iterdir())
    assert total < 5 * 1024 * 1024


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_document_type(name: str, ext: str) -> None:
    assert extracted(name, ext).document_type == truth(name)["document_type"]


@pytest.mark.parametrize(("name", "ext"), CASES)
@pytest.mark.parametrize("key", FIELD_KEYS)
def test_field(name: str, ext: str, key: str) -> None:
    """Given a fixture, when extracted, then the field equals the generator's truth."""
    assert extracted(name, ext).fields[key] == truth(name)["fields"][key]


@pytest.mark.parametrize(("name", "ext"), CASES)
@pytest.mark.parametrize("key", SECTION_KEYS)
def test_section(name: str, ext: str, key: str) -> None:
    assert extracted(name, ext).sections[key] == truth(name)["sections"][key]


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_finding_codes(name: str, ext: str) -> None:
    assert _codes(extracted(name, ext)) == truth(name)["finding_codes"]


@pytest.mark.parametrize(("name", "ext"), CASES)
def test_json_shape(name: str, ext: str) -> None:
    """The JSON has exactly the interface's keys, and findings carry Swedish sentences."""
    doc: dict[str, Any] = extracted(name, ext).to_json()
    # The interface's keys first and unchanged; the form definition and its confidence added.
    assert list(doc)[:4] == ["document_type", "fields", "sections", "findings"]
    assert set(doc) - {"document_type", "fields", "sections", "findings"} == {
        "form",
        "form_confidence",
        "source",
        "signatures",  # the spec's third round (issue 29)
        "signature_status",
    }
    assert doc["source"] == ext
    assert 0.0 <= doc["form_confidence"] <= 1.0
    assert list(doc["fields"]) == list(FIELD_KEYS)
    assert list(doc["sections"])[: len(SECTION_KEYS)] == list(SECTION_KEYS)
    for f in doc["findings"]:
        assert set(f) <= {"code", "message", "field"}
        assert f["message"].endswith(".") and "\n" not in f["message"]


def test_office_addresses_never_taken_for_the_sender() -> None:
    """The form's fixed text lists the office's contact people: never the sender's e-mail."""
    for name, ext in CASES:
        email = extracted(name, ext).fields["contact_email"]
        assert email is None or "samordning-exempel.se" not in email


def test_overspent_message_names_both_amounts() -> None:
    result = extracted("r03_right_sdt_overspent", "pdf")
    (f,) = [f for f in result.findings if f.code == "overspent"]
    assert f.message == (
        "Utnyttjade medel (2 913 559 kr) överstiger beviljade medel (2 842 390 kr)."
    )


def test_submitter_signed() -> None:
    assert extracted("r01_cell_iso_endash", "docx").submitter_signed
    assert not extracted("r04_row_blocksdt_unsigned_nfd", "pdf").submitter_signed
    assert not extracted("r05_cell_missing_section8_underspent", "docx").submitter_signed


def test_missing_field_names_the_field() -> None:
    result = extracted("r07_cell_unregistered_inconsistent", "docx")
    (f,) = [f for f in result.findings if f.code == "missing_field"]
    assert f.field == "contact_phone" and "Mobiltelefonnummer" in f.message


def test_isolated_matches_in_process() -> None:
    """The child process returns the same extraction as the in-process parse."""
    path = FIXTURES / "r02_row_compact_nbsp.pdf"
    assert (
        extract_isolated(path.read_bytes(), path.name).to_json()
        == extracted("r02_row_compact_nbsp", "pdf").to_json()
    )


def test_pdf_reading_order_interleaves_but_cells_do_not() -> None:
    """pdfminer's own text order puts section 2's phone number after Postnummer (the columns
    interleave); anchoring on cell borders still pairs each label with its value."""
    from pdfminer.high_level import extract_text

    path = FIXTURES / "r04_row_blocksdt_unsigned_nfd.pdf"
    text = extract_text(str(path))
    assert text.index("070 – 123 45 67") > text.index("Postnummer")
    fields = extracted("r04_row_blocksdt_unsigned_nfd", "pdf").fields
    assert fields["contact_phone"] == "070-123 45 67"
    assert fields["postal_code"] == "824 50"


def test_page_footer_not_in_sections() -> None:
    """The footer (web address and page number) never leaks into a multi-page answer."""
    for ext in ("docx", "pdf"):
        for text in extracted("r06_right_long_tenpages", ext).sections.values():
            assert "samordning-exempel.se" not in text
            assert "Sida " not in text
