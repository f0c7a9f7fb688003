"""Turn a message's attached files into report candidates: sniff, limit, extract (isolated)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from casefile.blobstore import sha256_hex
from casefile.config import ExtractionSettings, LimitsSettings
from casefile.states import AttachmentState, DocumentKind
from intake.mail.mime import AttachedFile

if TYPE_CHECKING:
    from intake.extract import Extraction, ExtractLimits
    from intake.extract.pool import ExtractionWorker


@dataclass
class Candidate:
    file: AttachedFile
    sha256: str
    media_type: str | None
    state: AttachmentState  # report, other or quarantined
    extraction: Extraction | None = None
    error: str | None = None

    @property
    def is_docx(self) -> bool:
        return bool(self.media_type and "wordprocessingml" in self.media_type)


def extract_limits(limits: LimitsSettings) -> ExtractLimits:
    from intake.extract import ExtractLimits

    # One mapping from [limits] to the extractor's limits (ExtractLimits.from_settings).
    return ExtractLimits.from_settings(limits)


def examine(file: AttachedFile, limits: LimitsSettings, worker: ExtractionWorker) -> Candidate:
    """Classify one attachment; never raises: a file we cannot read is quarantined."""
    from intake.extract import ExtractionError, media_type_for
    from intake.extract.zip_reports import is_archive

    digest = sha256_hex(file.data)
    if is_archive(file.data):
        # The zip stays whole in the archived message; its reports are examined one by one.
        return Candidate(file, digest, ZIP_MEDIA_TYPE, AttachmentState.OTHER)
    media = media_type_for(file.data, file.filename or "") or _page_image(file.data)
    if media is None:
        return Candidate(file, digest, file.content_type, AttachmentState.OTHER)
    if len(file.data) > limits.max_attachment_bytes:
        return Candidate(
            file,
            digest,
            media,
            AttachmentState.QUARANTINED,
            error=f"filen är för stor ({len(file.data)} byte, gräns {limits.max_attachment_bytes})",
        )
    try:
        extraction = worker.extract(file.data, file.filename or "bilaga")
    except ExtractionError as exc:
        return Candidate(file, digest, media, AttachmentState.QUARANTINED, error=str(exc))
    if extraction.document_type == DocumentKind.UNKNOWN:
        return Candidate(file, digest, media, AttachmentState.OTHER, extraction=extraction)
    return Candidate(file, digest, media, AttachmentState.REPORT, extraction=extraction)


def _page_image(data: bytes) -> str | None:
    """The media type of an image big enough to be a scanned or photographed page (read by
    OCR); a signature's logo or an icon stays an ordinary attachment."""
    from intake.extract.ocr import is_page_image
    from intake.extract.preflight import image_type_for

    media = image_type_for(data)
    return media if media is not None and is_page_image(data) else None


# The file name a report read from the mail body is recorded under, per body kind.
BODY_NAMES = {"mail_body_html": "brevtext.html", "mail_body_text": "brevtext.txt"}


def examine_body(
    raw: bytes, limits: LimitsSettings, worker: ExtractionWorker
) -> tuple[Candidate | None, str | None]:
    """The report pasted into the message's body, as a candidate, when its form is recognised
    (its labels found above the confidence threshold): the HTML part, else (also when the HTML
    cannot be read) the plain text; else a note saying why a body that mentions a report was
    not read, or (None, None)."""
    from intake.extract import ExtractionError
    from intake.extract.findings import NOT_RECOGNISED
    from intake.extract.mail_body import body_documents

    note: str | None = None
    for kind, data in body_documents(raw, limits.max_attachment_bytes):
        name = BODY_NAMES[kind]
        try:
            extraction = worker.extract(data, name, kind)
        except ExtractionError as exc:
            note = note or f"brevtexten kunde inte läsas som rapport: {exc}"
            continue
        recognised = not any(f.code == NOT_RECOGNISED for f in extraction.findings)
        if extraction.document_type == DocumentKind.UNKNOWN or not recognised:
            continue
        media = "text/html" if kind == "mail_body_html" else "text/plain"
        file = AttachedFile(name, media, data)
        return Candidate(
            file, sha256_hex(data), media, AttachmentState.REPORT, extraction=extraction
        ), None
    return None, note


# Attachments recorded one by one per message at most; beyond it they are only counted.
LISTED_PER_MESSAGE = 200


def examine_message(
    files: list[AttachedFile],
    limits: LimitsSettings,
    worker: ExtractionWorker,
    clock: Callable[[], float] = time.monotonic,
) -> list[Candidate]:
    """Every attachment of one message, within the message's budget.

    Each distinct file (sha256) is extracted once; files over the count cap, and those left when
    the time budget is spent, are quarantined with the reason, so one message cannot hold the
    mailbox (and the mail behind it) for longer than the budget plus one parse.
    """
    budget = limits.max_extraction_seconds_per_message
    started = clock()
    done: dict[str, Candidate] = {}
    out: list[Candidate] = []
    joined = {c.sha256: c for c in _joined_pages(files[:LISTED_PER_MESSAGE], limits, worker)}
    for index, (file, refused) in enumerate(with_zip_entries(files, limits)):
        if index >= LISTED_PER_MESSAGE:
            break  # still in the raw message in the archive; the pipeline notes how many
        digest = sha256_hex(file.data)
        if digest in done:
            continue  # the same bytes twice in one message: one file
        if digest in joined:  # a page of a report photographed page by page
            done[digest] = joined[digest]
            out.append(joined[digest])
            continue
        if refused is not None:
            cand = Candidate(
                file, digest, ZIP_MEDIA_TYPE, AttachmentState.QUARANTINED, error=refused
            )
        elif len(done) >= limits.max_attachments_per_message:
            cand = _refused(
                file,
                digest,
                f"fler än {limits.max_attachments_per_message} bilagor i meddelandet; "
                "den här lästes inte",
            )
        else:
            left = budget - (clock() - started)
            if left <= 0:
                cand = _refused(
                    file,
                    digest,
                    f"tidsgränsen för meddelandet ({budget:g} s) tog slut före den här bilagan",
                )
            else:
                cand = _examine_within(file, limits, worker, left)
        done[digest] = cand
        out.append(cand)
    return out


ZIP_MEDIA_TYPE = "application/zip"


def _joined_pages(
    files: list[AttachedFile], limits: LimitsSettings, worker: ExtractionWorker
) -> list[Candidate]:
    """Two or more page images (photos or scans) in one message, read together as one report
    in attachment order (intake.extract.ocr.PAGES_KIND): a candidate per image, all with the
    one extraction, so they register as one document with every page's file. Nothing when the
    images together are not a report, or cannot be read together: then each is examined on
    its own."""
    from intake.extract import ExtractionError
    from intake.extract.ocr import PAGES_KIND, pack_pages

    pages: list[tuple[AttachedFile, str, str]] = []
    seen: set[str] = set()
    for file in files:
        digest = sha256_hex(file.data)
        media = None
        if media_type_for_file(file) is None and digest not in seen:
            media = _page_image(file.data)
        if media is not None and len(file.data) <= limits.max_attachment_bytes:
            pages.append((file, digest, media))
            seen.add(digest)
    if len(pages) < 2:
        return []
    bundle = pack_pages([f.data for f, _, _ in pages])
    if len(bundle) > limits.max_attachment_bytes:
        return []
    try:
        extraction = worker.extract(bundle, "bilder", PAGES_KIND)
    except ExtractionError:
        return []
    if extraction.document_type == DocumentKind.UNKNOWN:
        return []
    return [Candidate(f, d, m, AttachmentState.REPORT, extraction=extraction) for f, d, m in pages]


def media_type_for_file(file: AttachedFile) -> str | None:
    """A report file's media type from its content (DOCX, PDF, ODT, DOC, RTF), else None."""
    from intake.extract import media_type_for
    from intake.extract.zip_reports import is_archive

    if is_archive(file.data):
        return ZIP_MEDIA_TYPE
    return media_type_for(file.data, file.filename or "")


def with_zip_entries(
    files: list[AttachedFile], limits: LimitsSettings
) -> Iterator[tuple[AttachedFile, str | None]]:
    """Every attachment, each zip archive followed by its DOCX, PDF, ODT, DOC and RTF entries
    (one level deep); with a reason when a file is refused unread: a zip over the zip limits, or
    a zip inside the zip (named, never opened)."""
    from intake.extract import ExtractionError
    from intake.extract.zip_reports import is_archive, open_reports

    for file in files:
        if not is_archive(file.data):
            yield file, None
            continue
        name = file.filename or "bilaga.zip"
        if len(file.data) > limits.max_attachment_bytes:
            yield file, f"zip-filen {name} är för stor ({len(file.data)} byte)"
            continue
        try:
            contents = open_reports(file.data, name, extract_limits(limits))
        except ExtractionError as exc:
            yield file, str(exc)
            continue
        yield file, None
        for entry, data in contents.reports:
            yield AttachedFile(entry, "application/octet-stream", data), None
        for entry, data in contents.nested:
            why = f"zip-filen {entry} i {name} öppnades inte (zip i zip)"
            yield AttachedFile(entry, ZIP_MEDIA_TYPE, data), why


def _refused(file: AttachedFile, digest: str, why: str) -> Candidate:
    from intake.extract import media_type_for

    media = media_type_for(file.data, file.filename or "")
    if media is None:
        return Candidate(file, digest, file.content_type, AttachmentState.OTHER)
    return Candidate(file, digest, media, AttachmentState.QUARANTINED, error=why)


def _examine_within(
    file: AttachedFile, limits: LimitsSettings, worker: ExtractionWorker, left: float
) -> Candidate:
    # The worker reads its deadline from its limits; shorten it to what the message has left,
    # but not below a second, nor ever above the configured one (which may be under a second).
    full = worker.limits
    if left < full.timeout_seconds:
        deadline = min(max(left, 1.0), full.timeout_seconds)
        worker.limits = dataclasses.replace(full, timeout_seconds=deadline)
    try:
        return examine(file, limits, worker)
    finally:
        worker.limits = full


def group_reports(candidates: list[Candidate]) -> list[list[Candidate]]:
    """One report sent as both DOCX and PDF in one message is one document with two files."""
    from casefile.matching import normalise_key

    groups: dict[tuple[str, str, str], list[Candidate]] = {}
    for cand in candidates:
        if cand.state != AttachmentState.REPORT or cand.extraction is None:
            continue
        fields = cand.extraction.fields
        title = normalise_key(str(fields.get("title") or ""))
        org = normalise_key(str(fields.get("organisation") or ""))
        key = (cand.extraction.document_type, title, org) if title else ("", cand.sha256, "")
        groups.setdefault(key, []).append(cand)
    # The DOCX is the sender's own file; its extraction is the one we register.
    return [sorted(g, key=lambda c: not c.is_docx) for g in groups.values()]


def make_worker(
    limits: LimitsSettings,
    extraction: ExtractionSettings | None = None,
    trust_roots: Sequence[str] = (),
    timezone: str = "Europe/Stockholm",
) -> ExtractionWorker:
    """The isolated extraction worker that one poll (or retry) shares across its attachments."""
    import dataclasses

    from intake.extract.pool import ExtractionWorker

    chosen = extract_limits(limits)
    if extraction is not None:  # the configured form definitions and recognition threshold
        chosen = dataclasses.replace(
            chosen,
            forms=tuple(extraction.forms),
            min_confidence=extraction.min_confidence,
            ocr=extraction.ocr,
            ocr_languages=extraction.ocr_languages,
            ocr_max_pages=extraction.ocr_max_pages,
            convert=extraction.convert,
        )
    # `[signatures] trust_roots` and the registry's zone for signing times.
    chosen = dataclasses.replace(chosen, trust_roots=tuple(trust_roots), timezone=timezone)
    return ExtractionWorker(chosen)
