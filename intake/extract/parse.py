"""Parse already checked bytes into an Extraction (no limits here: see isolation.py)."""

from __future__ import annotations

import dataclasses
import time
import zipfile

from intake.extract import interpret
from intake.extract.convert import CONVERTED, to_docx
from intake.extract.findings import (
    filled_share,
    findings,
    not_recognised,
    read_by_ocr,
    read_from,
    sections_not_read,
    values_not_read,
)
from intake.extract.form import APPENDIX_KEY, SECTION_KEYS
from intake.extract.forms import FormError, load_forms
from intake.extract.layout import Layout
from intake.extract.mail_body import BODY_HTML, BODY_TEXT, SOURCE, bare_labels, text_layout
from intake.extract.model import Extraction, ExtractionError, ExtractLimits
from intake.extract.preflight import check_size, preflight
from intake.extract.signatures import check_digital, has_signature, judge


def read_layout(data: bytes, media_type: str, limits: ExtractLimits) -> Layout:
    if media_type == "pdf":
        layout = _read_pdf(data, limits)
        if not layout.paras and not layout.appendix:  # no text layer: a scan
            from intake.extract.ocr import read_scan_pdf

            return read_scan_pdf(data, "PDF-filen", limits)
        return layout
    if media_type == "image_pages":  # several page images of one mail (ocr.PAGES_KIND)
        from intake.extract.ocr import read_image_pages

        return read_image_pages(data, limits)
    if media_type == "image":
        from intake.extract.ocr import read_image
        from intake.extract.preflight import image_type_for

        kind = str(image_type_for(data)).removeprefix("image/").upper()
        return read_image(data, f"{kind}-bilden", limits)
    if media_type == BODY_HTML:  # a report pasted into a mail (mail_body.py)
        layout = _read_docx(to_docx(data, "html", limits))
        layout.source = SOURCE
        return layout
    if media_type == BODY_TEXT:
        forms = load_forms(limits.forms)
        return text_layout(data.decode("utf-8", "replace"), bare_labels(forms))
    if media_type in CONVERTED:
        layout = _read_docx(to_docx(data, media_type, limits))
        layout.source = media_type
        return layout
    return _read_docx(data)


def _read_docx(data: bytes) -> Layout:
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    from intake.extract.docx_reader import read_docx

    try:
        return read_docx(data)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as exc:
        raise ExtractionError(
            "corrupt", "Filen är inte en giltig DOCX (dokumentdelen saknas eller är skadad)."
        ) from exc
    except XMLSyntaxError as exc:
        raise ExtractionError(
            "corrupt", "Filen är inte en giltig DOCX (XML-fel i dokumentet)."
        ) from exc


def _read_pdf(data: bytes, limits: ExtractLimits) -> Layout:
    from pdfminer.pdfdocument import PDFDocument

    from intake.extract.pdf_reader import read_pdf_document
    from intake.extract.preflight import open_pdf

    doc: PDFDocument = open_pdf(data, limits)
    try:
        return read_pdf_document(doc, limits.max_pdf_pages, limits.pdf_layout_pages)
    except (ExtractionError, MemoryError):
        raise
    except RecursionError as exc:
        raise ExtractionError("corrupt", "PDF-filen är skadad (cirkulära referenser).") from exc
    except Exception as exc:  # pdfminer raises many types on malformed input
        raise ExtractionError(
            "corrupt", f"PDF-filen kunde inte läsas ({type(exc).__name__})."
        ) from exc


def extraction_from_layout(layout: Layout, limits: ExtractLimits | None = None) -> Extraction:
    limits = limits or ExtractLimits()
    try:
        forms = load_forms(limits.forms)
    except FormError as exc:
        raise ExtractionError(
            "unsupported", f"Felaktig formulärdefinition: {exc.lines[0]}"
        ) from exc
    type_words: dict[str, tuple[str, ...]] = {}
    for f in forms:
        for t, ws in f.document_types.items():
            type_words[t] = type_words.get(t, ()) + ws
        if f.title_words and f.document_type != "unknown":
            type_words[f.document_type] = type_words.get(f.document_type, ()) + f.title_words
    kind = interpret.document_type(layout.paras, type_words)
    reading = interpret.choose(layout, forms, kind, limits.min_confidence)
    secs = dict.fromkeys(SECTION_KEYS, "")
    secs.update(interpret.sections(layout, reading.form, reading.heads))
    if layout.appendix:
        secs[APPENDIX_KEY] = layout.appendix
    raw = reading.raw
    if layout.source == "ocr":
        from intake.extract.ocr_repair import repair_fields

        repair_fields(raw.values, raw.unparsed, {f.key: f.kind for f in reading.form.fields})
    found = findings(kind, raw.values, secs, raw.unparsed, reading.form, reading.found_numbers)
    if kind != "unknown":
        lost = interpret.unread_sections(layout, reading.form, reading.heads, secs)
        if lost:
            found.append(sections_not_read(lost))
    if kind != "unknown" and (reading.form.generic or reading.confidence < limits.min_confidence):
        found.append(not_recognised(reading.form.name, reading.confidence))
    elif kind != "unknown":
        empty = values_not_read(*filled_share(reading.form, raw.labelled, raw.values, raw.unparsed))
        if empty is not None:
            found.append(empty)
    if layout.ocr is not None and kind != "unknown":
        found.append(read_by_ocr())
    source_finding = read_from(layout.source) if kind != "unknown" else None
    if source_finding is not None:
        found.append(source_finding)
    result = judge(
        Extraction(
            kind,
            raw.values,
            secs,
            found,
            reading.form.name,
            reading.confidence,
            layout.source,
            signatures=list(layout.signatures),
        )
    )
    if layout.ocr is not None:
        from intake.extract.ocr import field_confidence

        confidence = field_confidence(raw.values, layout.word_confidence)
        result = dataclasses.replace(result, ocr=layout.ocr, field_confidence=confidence)
    return result


def parse(data: bytes, media_type: str, limits: ExtractLimits) -> Extraction:
    result = extraction_from_layout(read_layout(data, media_type, limits), limits)
    if media_type == "pdf" and has_signature(data):
        digital, report = check_digital(data, limits.trust_roots, limits.timezone)
        if digital:
            result = dataclasses.replace(judge(result, digital), signature_report=report)
    return result


def timed_parse(data: bytes, media_type: str, limits: ExtractLimits) -> tuple[Extraction, float]:
    t0 = time.perf_counter()
    result = parse(data, media_type, limits)
    return result, time.perf_counter() - t0


def parse_checked(
    data: bytes, filename: str, limits: ExtractLimits, kind: str | None = None
) -> Extraction:
    """Pre-check and parse in this process (api.extract_bytes, and the isolated child in
    worker.py, which imports this parser rather than the API). Raises ExtractionError."""
    if kind is None:
        kind = preflight(data, filename, limits)
    else:
        check_size(len(data), filename, limits)
    try:
        return parse(data, kind, limits)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError(
            "memory", f"Filen {filename} krävde för mycket minne för att tolkas."
        ) from exc
    except RecursionError as exc:
        raise ExtractionError(
            "corrupt", f"Filen {filename} är skadad (för djup struktur)."
        ) from exc
