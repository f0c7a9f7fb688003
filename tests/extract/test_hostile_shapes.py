"""Hostile inputs in the new shapes (issue 27): a 30,000 × 30,000-pixel image and PDF page for
OCR, report files of every format inside a zip, a zip inside a zip inside a zip, an ODT whose
Basic macro is bound to run on open. Each is a clear one-line error, or read without harm."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from badfiles import _pdf, _stream
from PIL import Image
from sqlalchemy import select

from casefile.app import App
from casefile.config import LimitsSettings
from casefile.db.models import Attachment, SourceMessage
from intake.commands.extract import run_extract
from intake.extract import ExtractionError, extract_path
from intake.extract.ocr import MAX_PIXELS
from intake.mail.attachments import with_zip_entries
from intake.mail.mime import AttachedFile
from tests.extract.test_shapes_pipeline import (
    account,
    dovecot,
    registered,
    run_intake,
    send,
    shapes_app,
    smtp,
)
from tests.support.dovecot import Account
from tests.support.smtp import SmtpServer

__all__ = ["account", "dovecot", "shapes_app", "smtp"]  # the fixtures

CONVERTED = Path(__file__).resolve().parent.parent / "fixtures" / "converted"
ODT = CONVERTED / "r01_cell_iso_endash.odt"
SIDE = 30_000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int = SIDE) -> bytes:
    """A PNG whose header claims side × side grey pixels, with only its first rows of zeros
    in the IDAT: a few hundred bytes, which decoded would take side² bytes (900 MB)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (side + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def huge_page_pdf(side: int = SIDE) -> bytes:
    """An image-only (textless) PDF whose one page renders to side × side pixels at 200 dpi."""
    points = side * 72 // 200
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {points} {points}] "
            "/Contents 4 0 R >>".encode(),
            _stream(b"0 0 1 1 re f"),
        ]
    )


def tiff_with_huge_second_page(side: int = SIDE) -> bytes:
    """A two-page TIFF: a blank first page, then a page whose header claims side × side
    (its one deflated strip holds 801 × 801 white pixels)."""
    buf = io.BytesIO()
    first, second = Image.new("L", (800, 800), 255), Image.new("L", (801, 801), 255)
    first.save(buf, "TIFF", compression="tiff_deflate", save_all=True, append_images=[second])
    data = buf.getvalue()
    for tag in (256, 257):  # ImageWidth, ImageLength: one SHORT each
        entry = struct.pack("<HHIH", tag, 3, 1, 801)
        assert data.count(entry) == 1
        data = data.replace(entry, struct.pack("<HHIH", tag, 3, 1, side))
    return data


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def one_line_error(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What `intake extract PATH --json` says, checked to be one line on stderr, nothing out."""
    assert run_extract(str(path), as_json=True) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("fel: ")
    return captured.err.strip()


# --- the pixel cap -------------------------------------------------------------------------


def test_a_30000_pixel_image_is_refused_from_its_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a small PNG whose header claims 30,000 × 30,000 pixels, when extracted, then it
    is refused as too large, naming its size and the cap, before it is decoded (decoding the
    truncated rows would fail as "damaged" instead)."""
    data = huge_png()
    assert len(data) < 2000
    path = tmp_path / "foto.png"
    path.write_bytes(data)
    err = one_line_error(path, capsys)
    assert "PNG-bilden är för stor (30000 × 30000 bildpunkter)" in err
    assert f"gränsen är {MAX_PIXELS // 1_000_000} miljoner bildpunkter" in err
    with pytest.raises(ExtractionError) as info:
        extract_path(path)
    assert info.value.code == "too_large"


def test_a_pdf_page_that_would_render_30000_pixels_is_refused_before_rendering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a textless PDF whose page is 10,800 pt square (30,000 px at 200 dpi), when
    extracted, then it is refused from its MediaBox; pdftoppm, out of memory, would write an
    empty page and succeed, and the file would pass as an unknown document read from nothing."""
    path = tmp_path / "skanning.pdf"
    path.write_bytes(huge_page_pdf())
    err = one_line_error(path, capsys)
    assert "PDF-filen är för stor (sidan 1 blir 30000 × 30000 bildpunkter)" in err
    with pytest.raises(ExtractionError) as info:
        extract_path(path)
    assert info.value.code == "too_large"


def test_a_tiff_page_above_the_cap_is_refused_before_decoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a TIFF whose first page is an ordinary size and whose second claims 30,000 ×
    30,000 pixels, when extracted, then the second page is refused from its header, naming
    its size (it used to be decoded, or fail as "kunde inte tolkas (DecompressionBombError)")."""
    path = tmp_path / "skanning.tif"
    path.write_bytes(tiff_with_huge_second_page())
    err = one_line_error(path, capsys)
    assert "TIFF-bilden är för stor (30000 × 30000 bildpunkter)" in err


def five_hundred_page_scan() -> bytes:
    """An image-only PDF of 500 tiny blank image pages (Pillow): 400 kB, made in 0.1 s."""
    pages = [Image.new("L", (20, 28), 255) for _ in range(500)]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=2.0)
    return buf.getvalue()


def test_a_500_page_scan_is_refused_up_front_by_its_page_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a 500-page image-only PDF, when extracted, then it is refused in one line from
    its page count (`[limits]`'s 200 PDF pages), in well under a second, never rendered or
    OCR'd (OCR would read its first `ocr_max_pages`, 40, and run into the time limit)."""
    import time

    path = tmp_path / "skanning.pdf"
    path.write_bytes(five_hundred_page_scan())
    start = time.monotonic()
    err = one_line_error(path, capsys)
    assert err == "fel: PDF-filen har fler än 200 sidor, vilket inte tillåts."
    with pytest.raises(ExtractionError) as info:
        extract_path(path)
    assert info.value.code == "too_large"
    assert time.monotonic() - start < 10


def ten_mb_form_field() -> bytes:
    """The fillable report (tests/fixtures/shapes/f01) with 10 MB in answer 5.1's form field,
    written by pyHanko in an incremental update."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    source = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"
    writer = IncrementalPdfFileWriter(
        io.BytesIO((source / "f01_fillable_form.pdf").read_bytes()), strict=False
    )
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field.get("/T")) == "svar51":
            field["/V"] = generic.TextStringObject("Lång text. " * 909_091)
            writer.mark_update(ref)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_a_pdf_whose_form_field_holds_10_mb_stops_at_the_time_limit_in_one_line(
    tmp_path: Path,
) -> None:
    """Given a fillable PDF whose answer field holds 10 MB (15 MB on disk, under the 25 MB
    file limit), when extracted in the isolated worker, then parsing it (pdfminer reads the
    string byte by byte) stops at the time limit with one Swedish line; in the mail path that
    error quarantines the attachment and keeps it (test_huge_images_in_mail_...). The limit is
    3 s here for CI time; the default is 30 s."""
    import dataclasses

    from intake.extract.api import DEFAULT_LIMITS

    data = ten_mb_form_field()
    assert 10_000_000 < len(data) < DEFAULT_LIMITS.max_bytes
    path = tmp_path / "blankett.pdf"
    path.write_bytes(data)
    with pytest.raises(ExtractionError) as info:
        extract_path(path, dataclasses.replace(DEFAULT_LIMITS, timeout_seconds=3.0))
    assert info.value.code == "timeout"
    assert str(info.value) == (
        "Tolkningen av blankett.pdf tog längre tid än 3 sekunder och avbröts."
    )


def test_huge_images_in_mail_are_quarantined_with_the_reason_and_kept(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given one mail with the 30,000-pixel PNG, one with the 30,000-pixel PDF page and one
    with a 500-page scan, when they run through intake, then all are quarantined, each with
    its one-line reason, the files kept in the archive, nothing registered."""
    png, pdf, long_scan = huge_png(), huge_page_pdf(), five_hundred_page_scan()
    send(account, "maja@exempelby.test", "foto.png", png)
    send(account, "olle@exempelby.test", "skanning.pdf", pdf)
    send(account, "eva@exempelby.test", "skanning500.pdf", long_scan)
    run_intake(shapes_app)
    assert registered(shapes_app) == {}
    with shapes_app.sessions() as s:
        rows = {a.message.sender: a for a in s.scalars(select(Attachment))}
        reasons = {m.sender: (m.state, m.reason or "") for m in s.scalars(select(SourceMessage))}
        states = {k: (a.state, a.sha256) for k, a in rows.items()}
    assert {k: st for k, (st, _) in states.items()} == {
        "maja@exempelby.test": "quarantined",
        "olle@exempelby.test": "quarantined",
        "eva@exempelby.test": "quarantined",
    }
    maja, olle = reasons["maja@exempelby.test"], reasons["olle@exempelby.test"]
    assert maja[0] == olle[0] == "quarantined"
    assert "PNG-bilden är för stor (30000 × 30000 bildpunkter)" in maja[1]
    assert "PDF-filen är för stor (sidan 1 blir 30000 × 30000 bildpunkter)" in olle[1]
    eva = reasons["eva@exempelby.test"]
    assert eva[0] == "quarantined" and "PDF-filen har fler än 200 sidor" in eva[1]
    assert "\n" not in maja[1] + olle[1] + eva[1]
    assert shapes_app.archive.get(states["eva@exempelby.test"][1]) == long_scan
    assert shapes_app.archive.get(states["maja@exempelby.test"][1]) == png
    assert shapes_app.archive.get(states["olle@exempelby.test"][1]) == pdf


# --- zip files -----------------------------------------------------------------------------


def test_an_odt_inside_a_zip_is_converted_and_read(tmp_path: Path) -> None:
    """Given a zip holding a report saved as ODT (and a picture that is no report), when
    extracted, then the ODT entry is converted and read like the ODT itself."""
    path = tmp_path / "rapport.zip"
    path.write_bytes(zipped({"bilder/logo.gif": b"GIF89a", "rapport.odt": ODT.read_bytes()}))
    result = extract_path(path)
    assert result.archive_entry == "rapport.odt" and result.source == "odt"
    assert result.document_type == "slutrapport" and result.fields["title"] == "Kärnhuset 2.0"
    assert result.fields["reference"] == "SFG 24-08.04"


def test_an_odt_inside_a_zipped_mail_attachment_is_registered(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a mail with a zip holding the report as ODT, when it runs through intake, then
    the ODT entry is converted and registered with a kvittens, the zip kept beside it."""
    send(account, "maja@exempelby.test", "rapport.zip", zipped({"rapport.odt": ODT.read_bytes()}))
    run_intake(shapes_app)
    doc, kinds = registered(shapes_app)["maja@exempelby.test"]
    assert kinds == ["kvittens"] and doc.title == "Kärnhuset 2.0"
    with shapes_app.sessions() as s:
        rows = {a.filename: (a.state, a.document_id) for a in s.scalars(select(Attachment))}
    assert rows["rapport.odt"] == ("report", doc.id)
    assert "rapport.zip" in rows


def test_a_zip_inside_a_zip_inside_a_zip_is_named_never_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given yttre.zip holding mitten.zip holding inre.zip holding a DOCX, when extracted,
    then one line names mitten.zip as not opened; in the mail path the outer zip is kept and
    mitten.zip is refused with the reason "zip i zip"."""
    inner = zipped({"rapport.docx": b"PK\x03\x04 not reached"})
    outer = zipped({"mitten.zip": zipped({"inre.zip": inner})})
    path = tmp_path / "yttre.zip"
    path.write_bytes(outer)
    err = one_line_error(path, capsys)
    assert "Zip-filen yttre.zip innehåller ingen rapportfil" in err
    assert "zip-filer i zip-filen öppnas inte (mitten.zip)" in err
    got = list(
        with_zip_entries([AttachedFile("yttre.zip", "application/zip", outer)], LimitsSettings())
    )
    assert [(f.filename, why) for f, why in got] == [
        ("yttre.zip", None),
        ("mitten.zip", "zip-filen mitten.zip i yttre.zip öppnades inte (zip i zip)"),
    ]


# --- macros --------------------------------------------------------------------------------

MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" \
script:language="StarBasic">Sub Main
  Open "{marker}" For Output As #1
  Print #1, "macro ran"
  Close #1
End Sub
</script:module>
"""
LIBRARIES = """<?xml version="1.0" encoding="UTF-8"?>
<library:libraries xmlns:library="http://openoffice.org/2000/library" \
xmlns:xlink="http://www.w3.org/1999/xlink">
 <library:library library:name="Standard" library:link="false"/>
</library:libraries>
"""
LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" \
library:readonly="false" library:passwordprotected="false">
 <library:element library:name="Module1"/>
</library:library>
"""
# Tools > Customize > Events > "Open Document", saved in the document.
ON_LOAD = (
    '<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script"'
    ' script:event-name="dom:load" xlink:type="simple" xlink:href="vnd.sun.star.script:'
    'Standard.Module1.Main?language=Basic&amp;location=document"/></office:event-listeners>'
    "</office:scripts>"
)
BASIC = ("Basic/script-lc.xml", "Basic/Standard/script-lb.xml", "Basic/Standard/Module1.xml")


def odt_with_macro(odt: bytes, marker: Path) -> bytes:
    """The ODT with a Basic macro, bound to the document's OnLoad, that writes `marker`.
    (Opened, not converted, with macro security at its lowest, soffice runs it.)"""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(odt)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "content.xml":
                text = data.decode()
                at = text.index(">", text.index("<office:document-content")) + 1
                data = (text[:at] + ON_LOAD + text[at:]).encode()
            elif info.filename == "META-INF/manifest.xml":
                entry = (
                    '<manifest:file-entry manifest:full-path="{}" manifest:media-type="text/xml"/>'
                )
                listed = "".join(entry.format(p) for p in BASIC)
                data = data.replace(
                    b"</manifest:manifest>", listed.encode() + b"</manifest:manifest>"
                )
            dst.writestr(info, data)
        for name, text in zip(
            BASIC, (LIBRARIES, LIBRARY, MODULE.format(marker=marker)), strict=True
        ):
            dst.writestr(name, text)
    return out.getvalue()


def test_a_macro_set_to_run_on_open_never_runs_in_conversion(tmp_path: Path) -> None:
    """Given an ODT whose OnLoad macro would write a file, when extracted (converted by
    LibreOffice), then the report is read and the file was never written."""
    marker = tmp_path / "macro-ran.txt"
    path = tmp_path / "rapport.odt"
    path.write_bytes(odt_with_macro(ODT.read_bytes(), marker))
    result = extract_path(path)
    assert result.source == "odt" and result.fields["title"] == "Kärnhuset 2.0"
    assert not marker.exists()
