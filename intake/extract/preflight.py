"""Cheap checks before any parsing: size, file type by magic bytes, zip structure, PDF shell.

These run without python-docx or pdfminer touching the file, so a zip bomb or a file of the
wrong kind is refused with a clear message before it can cost memory or time.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from typing import Any

from intake.extract.convert import MEDIA_TYPES, sniff
from intake.extract.model import ExtractionError, ExtractLimits

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"

_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "en PNG-bild"),
    (b"\xff\xd8\xff", "en JPEG-bild"),
    (b"GIF8", "en GIF-bild"),
    (b"II*\x00", "en TIFF-bild"),
    (b"MM\x00*", "en TIFF-bild"),
    (b"{\\rtf", "ett RTF-dokument"),
    (b"Rar!", "ett RAR-arkiv"),
    (b"\x1f\x8b", "ett gzip-arkiv"),
    (b"7z\xbc\xaf", "ett 7z-arkiv"),
)
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: old .doc, or an encrypted .docx
_CHUNK = 1 << 16


def media_type_for(data: bytes, filename: str) -> str | None:
    """DOCX, PDF, ODT, DOC or RTF media type from magic bytes (and the name for zip files);
    else None."""
    if b"%PDF-" in data[:1024]:
        return PDF_MEDIA_TYPE
    converted = sniff(data)
    if converted is not None:
        return MEDIA_TYPES[converted]
    if data.startswith(b"PK\x03\x04"):
        name = filename.lower()
        if name.endswith((".docx", ".docm", ".dotx")) or b"word/" in data[: 1 << 20]:
            return DOCX_MEDIA_TYPE
    return None


_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def image_type_for(data: bytes) -> str | None:
    """The media type of a JPEG, PNG or TIFF image (a scan or a photo, read by OCR)."""
    return next((media for magic, media in _IMAGE_MAGIC if data.startswith(magic)), None)


def _describe(data: bytes, filename: str) -> ExtractionError:
    """An error telling what the file looks like instead."""
    for magic, what in _OTHER_MAGIC:
        if data.startswith(magic):
            return ExtractionError(
                "wrong_type", f"Filen {filename} är varken DOCX eller PDF: innehållet är {what}."
            )
    if data.startswith(_CFB):
        if filename.lower().endswith(".docx"):
            return ExtractionError(
                "encrypted", f"Filen {filename} är ett lösenordsskyddat Word-dokument."
            )
        return ExtractionError(
            "unsupported",
            f"Filen {filename} är ett äldre Office-format (.doc); be om DOCX eller PDF.",
        )
    if data.startswith(b"PK"):
        return ExtractionError(
            "unsupported", f"Filen {filename} är ett zip-arkiv men inte ett Word-dokument (DOCX)."
        )
    return ExtractionError("wrong_type", f"Filen {filename} är varken en DOCX- eller en PDF-fil.")


def check_size(size: int, filename: str, limits: ExtractLimits) -> None:
    if size == 0:
        raise ExtractionError("empty", f"Filen {filename} är tom (0 byte).")
    if size > limits.max_bytes:
        raise ExtractionError(
            "too_large",
            f"Filen {filename} är för stor ({size / 1048576:.1f} MB; gränsen är "
            f"{limits.max_bytes / 1048576:.0f} MB).",
        )


def preflight(data: bytes, filename: str, limits: ExtractLimits) -> str:
    """Check `data`; return "docx", "pdf", "image", "odt", "doc" or "rtf", or raise
    ExtractionError."""
    check_size(len(data), filename, limits)
    converted = sniff(data)
    if converted == "odt":  # a zip like DOCX: the same bomb checks before LibreOffice sees it
        check_docx_zip(data, limits, what="ODT", part="content.xml")
    if converted is not None:
        return converted
    media = media_type_for(data, filename)
    if media == PDF_MEDIA_TYPE:
        check_pdf_shell(data)
        return "pdf"
    if media == DOCX_MEDIA_TYPE:
        check_docx_zip(data, limits)
        return "docx"
    if image_type_for(data) is not None:
        return "image"
    raise _describe(data, filename)


def check_docx_zip(
    data: bytes, limits: ExtractLimits, what: str = "DOCX", part: str = "word/document.xml"
) -> None:
    """Refuse zip bombs, encrypted entries, DTDs; reads every part in small chunks. `what`
    names the format in messages, `part` is the document part it must have."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExtractionError(
            "corrupt", f"Filen är inte en giltig {what} (zip-arkivet är skadat)."
        ) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise ExtractionError(
                "zip_bomb",
                f"{what}-filen har för många delar ({len(infos)}; gränsen är "
                f"{limits.max_zip_entries}).",
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_uncompressed_bytes:
            raise ExtractionError(
                "zip_bomb",
                f"{what}-filen packas upp till {declared / 1048576:.0f} MB, mer än tillåtna "
                f"{limits.max_uncompressed_bytes / 1048576:.0f} MB (misstänkt zip-bomb).",
            )
        for info in infos:
            if info.flag_bits & 0x1:
                raise ExtractionError("encrypted", f"{what}-filen innehåller krypterade delar.")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > (1 << 20) and ratio > limits.max_compression_ratio:
                raise ExtractionError(
                    "zip_bomb",
                    f"{what}-filen har en del som är komprimerad {ratio:.0f} gånger "
                    "(misstänkt zip-bomb).",
                )
        names = {i.filename for i in infos}
        if part not in names:
            raise ExtractionError(
                "corrupt", f"Filen är inte en giltig {what} (dokumentdelen {part} saknas)."
            )
        budget = limits.max_uncompressed_bytes
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")):
                continue
            budget = _scan_part(zf, info, budget, what)


def _xml_codec(head: bytes) -> str | None:
    """The part's encoding when it is not ASCII-compatible (UTF-16/32, by BOM or by the
    zero bytes around its first '<'), else None: libxml2 reads those too, so must we."""
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    )
    for bom, name in boms:
        if head.startswith(bom):
            return name
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    return None


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, what: str) -> int:
    """Stream one XML part: count real bytes (headers may lie) and look for a DTD, in the
    part's own encoding (a UTF-16 part hides "<!DOCTYPE" from a byte search)."""
    tail = ""
    decoder: codecs.IncrementalDecoder | None = None
    first = True
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise ExtractionError(
                        "zip_bomb",
                        f"{what}-filen packas upp till mer än tillåtet (misstänkt zip-bomb).",
                    )
                if first:
                    codec = _xml_codec(chunk[:4])
                    if codec is not None:
                        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
                    first = False
                text = decoder.decode(chunk) if decoder else chunk.decode("latin-1")
                window = (tail + text).upper()
                if "<!DOCTYPE" in window or "<!ENTITY" in window:
                    raise ExtractionError(
                        "unsupported",
                        f"{what}-filen innehåller en DTD i {info.filename}, vilket inte tillåts.",
                    )
                tail = text[-16:]
    except ExtractionError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ExtractionError(
            "corrupt", f"Filen är inte en giltig {what} (delen {info.filename} är skadad)."
        ) from exc
    except Exception as exc:  # zlib.error and friends
        raise ExtractionError(
            "corrupt", f"Filen är inte en giltig {what} (delen {info.filename} är skadad)."
        ) from exc
    return budget


def check_pdf_shell(data: bytes) -> None:
    """Header and end marker: a truncated PDF is refused before pdfminer tries to repair it."""
    if b"%%EOF" not in data[-2048:]:
        raise ExtractionError(
            "corrupt", "PDF-filen är ofullständig (avkortad eller skadad; slutmarkering saknas)."
        )


def open_pdf(data: bytes, limits: ExtractLimits) -> Any:
    """Open with pdfminer and check encryption and page count before any page is parsed."""
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFEncryptionError as exc:
        raise ExtractionError(
            "encrypted", "PDF-filen är krypterad med lösenord och kan inte läsas."
        ) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise ExtractionError(
            "corrupt", f"PDF-filen är skadad och kan inte läsas ({type(exc).__name__})."
        ) from exc
    try:
        count = 0
        for _page in PDFPage.create_pages(doc):
            count += 1
            if count > limits.max_pdf_pages:
                raise ExtractionError(
                    "too_large",
                    f"PDF-filen har fler än {limits.max_pdf_pages} sidor, vilket inte tillåts.",
                )
    except (ExtractionError, MemoryError):
        raise
    except Exception as exc:
        raise ExtractionError(
            "corrupt", f"PDF-filen är skadad och kan inte läsas ({type(exc).__name__})."
        ) from exc
    if count == 0:
        raise ExtractionError("corrupt", "PDF-filen innehåller inga sidor.")
    return doc
