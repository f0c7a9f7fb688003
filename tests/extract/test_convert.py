"""ODT, DOC and RTF saved by another program (LibreOffice, tools/fixtures/make_converted.py) are
converted to DOCX with LibreOffice headless and read like the DOCX they came from (issue 27)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from intake.commands.extract import run_extract
from intake.extract import ExtractionError, ExtractLimits, extract_bytes, media_type_for
from intake.extract.convert import sniff
from intake.extract.findings import for_registration
from intake.extract.mail_body import BODY_HTML, BODY_TEXT, body_documents

CONVERTED = FIXTURES.parent / "converted"
NAME = "r01_cell_iso_endash"


def read_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert run_extract(str(path), as_json=True) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


@pytest.mark.parametrize("kind", ["odt", "doc", "rtf"])
def test_a_converted_report_reads_as_its_docx(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given the report saved as ODT, DOC or RTF, when `intake extract --json` reads it, then
    every field, section and finding is the DOCX's, the source names the format, and a
        finding says it was converted (no completion request)."""
    docx = read_json(FIXTURES / f"{NAME}.docx", capsys)
    other = read_json(CONVERTED / f"{NAME}.{kind}", capsys)
    assert other["source"] == kind
    assert other["document_type"] == "slutrapport" and other["form_confidence"] == 1.0
    assert other["fields"] == docx["fields"]
    assert other["sections"] == docx["sections"]
    # and, as text from a conversion, it is never the ground for a completion request
    conversion = [f for f in other["findings"] if f["code"] == "read_after_conversion"]
    assert len(conversion) == 1 and kind.upper() in conversion[0]["message"]
    assert [f for f in other["findings"] if f not in conversion] == docx["findings"]


def test_the_formats_are_known_by_content_not_by_name() -> None:
    """An ODT, DOC or RTF under a wrong name or none is still recognised; a DOCX is not taken
    for one of them."""
    for kind in ("odt", "doc", "rtf"):
        data = (CONVERTED / f"{NAME}.{kind}").read_bytes()
        assert sniff(data) == kind
        assert media_type_for(data, "bilaga.bin") is not None
    assert sniff((FIXTURES / f"{NAME}.docx").read_bytes()) is None


def test_conversion_switched_off_is_one_line_naming_what_to_install() -> None:
    data = (CONVERTED / f"{NAME}.odt").read_bytes()
    off = dataclasses.replace(ExtractLimits(), convert=False)
    with pytest.raises(ExtractionError) as err:
        extract_bytes(data, "rapport.odt", off)
    assert err.value.code == "unsupported"
    assert "convert = false" in str(err.value) and "libreoffice-writer-nogui" in str(err.value)


def test_without_libreoffice_the_error_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine without soffice on PATH, the DOC is refused in one line, no traceback."""
    monkeypatch.setenv("PATH", str(tmp_path))
    data = (CONVERTED / f"{NAME}.doc").read_bytes()
    with pytest.raises(ExtractionError) as err:
        extract_bytes(data, "rapport.doc")
    assert "LibreOffice saknas" in str(err.value)
    assert "libreoffice-writer-nogui" in str(err.value) and "\n" not in str(err.value)


def test_an_odt_zip_bomb_is_refused_before_libreoffice(tmp_path: Path) -> None:
    """An ODT whose content.xml unpacks past the limit is refused by the zip checks."""
    import zipfile

    path = tmp_path / "bomb.odt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text"
        )  # stored, first, as ODF requires
        zf.writestr("content.xml", b"<a>" + b" " * (40 << 20) + b"</a>", zipfile.ZIP_DEFLATED)
    limits = dataclasses.replace(ExtractLimits(), max_uncompressed_bytes=10 << 20)
    with pytest.raises(ExtractionError) as err:
        extract_bytes(path.read_bytes(), "bomb.odt", limits)
    assert err.value.code == "zip_bomb" and "ODT-filen" in str(err.value)


def test_the_body_is_its_html_part_and_never_an_attachment() -> None:
    """Given a mail with a text and an HTML body and an attached .txt, then the HTML part is
    read first (re-declared UTF-8), then the text part; a mail whose body never names a report
    gives nothing."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg.set_content("Slutrapport i text")
    msg.add_alternative(
        '<html><meta charset="windows-1252"><p>Slutrapport i HTML: å</p></html>', subtype="html"
    )
    msg.add_attachment(b"Slutrapport bifogad", maintype="text", subtype="plain", filename="a.txt")
    found = body_documents(bytes(msg), 1 << 20)
    assert [kind for kind, _ in found] == [BODY_HTML, BODY_TEXT]
    html = found[0][1].decode()
    assert "windows-1252" not in html and "i HTML: å" in html
    assert found[1][1].decode().strip() == "Slutrapport i text"
    plain = EmailMessage()
    plain.set_content("Hej, vi hörs på mötet.")
    assert body_documents(bytes(plain), 1 << 20) == []


@pytest.mark.parametrize("kind", [BODY_TEXT, BODY_HTML])
def test_a_report_in_a_body_reads_as_its_docx_and_asks_no_completion(kind: str) -> None:
    docx = extract_bytes((FIXTURES / f"{NAME}.docx").read_bytes(), f"{NAME}.docx")
    suffix = "txt" if kind == BODY_TEXT else "html"
    data = (CONVERTED / f"{NAME}.{suffix}").read_bytes()
    body = extract_bytes(data, "brevtext", kind=kind)
    assert body.source == "mail_body"
    assert body.fields == docx.fields and body.sections == docx.sections
    assert [f.code for f in body.findings] == ["read_from_mail_body"]
    unsigned = [{"code": "unsigned", "message": "…"}, body.findings[0].to_json()]
    assert [f["code"] for f in for_registration(unsigned)] == ["read_from_mail_body"]
