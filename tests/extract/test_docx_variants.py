"""DOCX constructs built in the test: content controls around cells and rows, headers,
merged cells, the office's fixed text, document types."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from intake.extract import extract_bytes, media_type_for
from intake.extract.docx_reader import read_docx


def _save(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _wrap_in_sdt(element: Any) -> None:
    """Move `element` into a new w:sdt/w:sdtContent at its place."""
    sdt = OxmlElement("w:sdt")
    sdt.append(OxmlElement("w:sdtPr"))
    content = OxmlElement("w:sdtContent")
    sdt.append(content)
    element.addprevious(sdt)
    content.append(element)


def _minimal_form(title: str = "Slutrapport") -> Any:
    doc = Document()
    doc.add_paragraph(title)
    doc.add_paragraph("1 Allmänna uppgifter")
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Insatsens namn"
    t.cell(0, 1).text = "Insatstid – åååå-mm-dd"
    t.cell(1, 0).text = "Lotsen"
    t.cell(1, 1).text = "2024-01-01 - 2024-12-31"
    doc.add_paragraph("2 Ansvarig för genomförande av insatsen")
    t2 = doc.add_table(rows=1, cols=2)
    t2.cell(0, 0).text = "E-postadress"
    t2.cell(0, 1).text = "Anna.Berg@Exempel.se"
    return doc


def test_content_control_around_a_row_and_a_cell() -> None:
    """Given values inside w:sdt around a whole row and around a cell, then they are read."""
    doc = _minimal_form()
    table = doc.tables[0]
    _wrap_in_sdt(table.rows[1]._tr)
    _wrap_in_sdt(doc.tables[1].rows[0]._tr.findall(qn("w:tc"))[1])
    result = extract_bytes(_save(doc), "r.docx")
    assert result.fields["title"] == "Lotsen"
    assert result.fields["period_start"] == "2024-01-01"
    assert result.fields["contact_email"] == "Anna.Berg@Exempel.se"


def test_header_and_footer_are_ignored() -> None:
    """Given a header with label-like text, then it is not read as a field."""
    doc = _minimal_form()
    header = doc.sections[0].header
    ht = header.add_table(rows=1, cols=2, width=doc.sections[0].page_width)
    ht.cell(0, 0).text = "Insatsens namn"
    ht.cell(0, 1).text = "Fel värde"
    doc.sections[0].footer.paragraphs[0].text = "www.exempel.se"
    layout = read_docx(_save(doc))
    assert all("Fel värde" not in p.text for p in layout.paras)
    assert extract_bytes(_save(doc), "r.docx").fields["title"] == "Lotsen"


def test_office_contact_table_is_not_the_sender() -> None:
    """The office's own contact table (Namn/E-post) after section 2 is not read as the sender."""
    doc = _minimal_form()
    doc.tables[1].cell(0, 1).text = ""
    doc.add_paragraph("Kontaktpersoner på förbundets kansli:")
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Namn"
    t.cell(0, 1).text = "E-post"
    t.cell(1, 0).text = "Kansliet"
    t.cell(1, 1).text = "kansli@exempel.se"
    result = extract_bytes(_save(doc), "r.docx")
    assert result.fields["contact_email"] is None
    assert any(f.field == "contact_email" for f in result.findings)


def test_merged_cells_are_not_repeated() -> None:
    """A value cell spanning two grid columns is read once, not once per column."""
    doc = _minimal_form()
    t = doc.tables[1]
    row = t.add_row()
    a, b = row.cells
    a.merge(b)
    a.text = "Merged text"
    layout = read_docx(_save(doc))
    assert sum("Merged text" in c.text for c in layout.cells) == 1


def test_document_types_from_title() -> None:
    for title, kind in [
        ("Slutrapport", "slutrapport"),
        ("Delrapport", "delrapport"),
        ("Lägesrapport", "delrapport"),
        ("Ansökan om samverkansmedel", "ansokan"),
        ("Mötesanteckningar", "unknown"),
    ]:
        assert extract_bytes(_save(_minimal_form(title)), "r.docx").document_type == kind


def test_unknown_document_is_kept_with_a_finding() -> None:
    """An unknown document is not dropped: it yields an Extraction flagged unknown_document."""
    result = extract_bytes(_save(_minimal_form("Faktura")), "r.docx")
    assert result.document_type == "unknown"
    assert [f.code for f in result.findings] == ["unknown_document"]
    assert result.fields["partners"] == []
    # Unknown decides routing only: what was read is kept.
    assert result.fields["title"] == "Lotsen"
    assert result.form == "generic"


def test_media_type_sniffing() -> None:
    docx = _save(_minimal_form())
    assert media_type_for(docx, "x.docx") == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert media_type_for(docx, "bilaga.bin") is not None  # word/ parts inside the zip
    assert media_type_for(b"%PDF-1.7\n...", "x.docx") == "application/pdf"
    assert media_type_for(b"\x89PNG\r\n\x1a\n", "x.pdf") is None
    assert media_type_for(b"", "x.pdf") is None
