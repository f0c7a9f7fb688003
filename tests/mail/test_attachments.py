"""From attached files to report candidates (intake/mail/attachments.py), with the real isolated
extraction worker: which file is a report, which is only kept, which is quarantined and why (the
reasons staff read), and the per-message caps that keep one message from holding the mailbox."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from casefile.config import ExtractionSettings, LimitsSettings
from intake.extract import Extraction
from intake.extract.pool import ExtractionWorker
from intake.mail.attachments import (
    LISTED_PER_MESSAGE,
    Candidate,
    examine,
    examine_message,
    group_reports,
    make_worker,
)
from intake.mail.mime import AttachedFile
from tests.support.mail import DOCX, REPORTS

REPORT = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
SAME_AS_PDF = (REPORTS / "r01_cell_iso_endash.pdf").read_bytes()
OTHER_REPORT = (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()
UNKNOWN = (REPORTS / "r10_unknown.docx").read_bytes()
BROKEN_PDF = b"%PDF-1.7 avklippt"
PDF = "application/pdf"


class RecordingWorker(ExtractionWorker):
    """The real worker, noting the deadline each file was extracted under."""

    deadlines: list[float]

    def extract(self, data: bytes, filename: str) -> Extraction:
        self.deadlines.append(self.limits.timeout_seconds)
        return super().extract(data, filename)


@pytest.fixture
def worker() -> Iterator[RecordingWorker]:
    chosen = make_worker(LimitsSettings()).limits
    with RecordingWorker(chosen) as started:
        started.deadlines = []
        yield started


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_report_is_a_report_with_its_extraction(worker: RecordingWorker) -> None:
    cand = examine(
        AttachedFile("slutrapport.docx", "application/octet-stream", REPORT),
        LimitsSettings(),
        worker,
    )
    assert (cand.state, cand.media_type, cand.sha256, cand.error) == (
        "report",
        DOCX,
        sha(REPORT),
        None,
    )
    assert cand.extraction is not None and cand.extraction.fields["title"] == "Kärnhuset 2.0"
    assert cand.is_docx


def test_a_document_that_is_no_known_form_is_kept_as_other(worker: RecordingWorker) -> None:
    file = AttachedFile("brev.docx", DOCX, UNKNOWN)
    cand = examine(file, LimitsSettings(), worker)
    assert (cand.file, cand.sha256, cand.state, cand.media_type, cand.error) == (
        file,
        sha(UNKNOWN),
        "other",
        DOCX,
        None,
    )
    assert cand.extraction is not None and cand.extraction.document_type == "unknown"


def test_a_file_that_is_neither_docx_nor_pdf_is_other_and_not_extracted(
    worker: RecordingWorker,
) -> None:
    cand = examine(AttachedFile("bild.png", "image/png", b"\x89PNG"), LimitsSettings(), worker)
    assert cand == Candidate(cand.file, sha(b"\x89PNG"), "image/png", "other")
    assert worker.deadlines == [] and not cand.is_docx


def test_an_unreadable_document_is_quarantined_with_the_reason(worker: RecordingWorker) -> None:
    file = AttachedFile("rapport.pdf", PDF, BROKEN_PDF)
    cand = examine(file, LimitsSettings(), worker)
    assert cand == Candidate(
        file,
        sha(BROKEN_PDF),
        PDF,
        "quarantined",
        error="PDF-filen är ofullständig (avkortad eller skadad; slutmarkering saknas).",
    )
    assert not cand.is_docx


def test_a_zip_is_taken_for_a_docx_by_its_name(worker: RecordingWorker) -> None:
    """Given a damaged zip (no word/ part to sniff), then a file named .docx is a DOCX that could
    not be read (quarantined, staff are told), and one without a name is only kept."""
    zipped = b"PK\x03\x04 avklippt"
    named = AttachedFile("rapport.docx", "application/octet-stream", zipped)
    assert examine(named, LimitsSettings(), worker) == Candidate(
        named,
        sha(zipped),
        DOCX,
        "quarantined",
        error="Filen är inte en giltig DOCX (zip-arkivet är skadat).",
    )
    nameless = AttachedFile(None, "application/octet-stream", zipped)
    assert examine(nameless, LimitsSettings(), worker) == Candidate(
        nameless, sha(zipped), "application/octet-stream", "other"
    )


def test_a_file_over_the_size_limit_is_quarantined_unread(worker: RecordingWorker) -> None:
    size = len(REPORT)
    file = AttachedFile("stor.docx", DOCX, REPORT)
    over = examine(file, LimitsSettings(max_attachment_bytes=size - 1), worker)
    assert over == Candidate(
        file,
        sha(REPORT),
        DOCX,
        "quarantined",
        error=f"filen är för stor ({size} byte, gräns {size - 1})",
    )
    assert worker.deadlines == []
    exact = examine(
        AttachedFile("stor.docx", DOCX, REPORT), LimitsSettings(max_attachment_bytes=size), worker
    )
    assert exact.state == "report"


def test_a_file_without_a_name_is_called_bilaga() -> None:
    # Given a worker whose own size limit refuses the file (the error names the file)
    with make_worker(LimitsSettings(max_attachment_bytes=10)) as small:
        cand = examine(AttachedFile(None, PDF, BROKEN_PDF), LimitsSettings(), small)
    assert cand.state == "quarantined"
    assert cand.error == "Filen bilaga är för stor (0.0 MB; gränsen är 0 MB)."


# --- one message: copies, the count cap, the time budget ---


def test_a_copy_is_read_once_and_files_over_the_count_cap_are_quarantined(
    worker: RecordingWorker,
) -> None:
    limits = LimitsSettings(max_attachments_per_message=2)
    found = examine_message(
        [
            AttachedFile("a.docx", DOCX, REPORT),
            AttachedFile("kopia.docx", DOCX, REPORT),
            AttachedFile("b.docx", DOCX, OTHER_REPORT),
            AttachedFile("c.pdf", PDF, BROKEN_PDF),
            AttachedFile("d.txt", "text/plain", b"hej"),
            AttachedFile("e.docx", "application/octet-stream", b"PK\x03\x04"),
        ],
        limits,
        worker,
    )
    assert [(c.file.filename, c.state) for c in found] == [
        ("a.docx", "report"),
        ("b.docx", "report"),
        ("c.pdf", "quarantined"),
        ("d.txt", "other"),
        ("e.docx", "quarantined"),
    ]
    assert found[2].error == "fler än 2 bilagor i meddelandet; den här lästes inte"
    assert found[2].media_type == PDF and found[2].sha256 == sha(BROKEN_PDF)
    # Kept whole, with its digest; a zip is a DOCX by its name, as in examine
    assert (found[3].media_type, found[3].sha256, found[3].error) == (
        "text/plain",
        sha(b"hej"),
        None,
    )
    assert (found[4].media_type, found[4].sha256) == (DOCX, sha(b"PK\x03\x04"))
    assert len(worker.deadlines) == 2


def test_at_most_200_files_are_listed_per_message(worker: RecordingWorker) -> None:
    files = [
        AttachedFile(f"{n}.txt", "text/plain", b"fil %d" % n) for n in range(LISTED_PER_MESSAGE + 1)
    ]
    found = examine_message(files, LimitsSettings(max_attachments_per_message=500), worker)
    assert len(found) == LISTED_PER_MESSAGE == 200
    assert found[-1].file.filename == "199.txt"


def test_the_time_budget_shortens_each_deadline_and_quarantines_what_is_left(
    worker: RecordingWorker,
) -> None:
    """Given a budget of 10 s per message and a clock that says 7.5 s, then 10 s and more have
    gone, then the first file gets the full 10 s of the worker's 30, the second 2.5 s, and the
    third and fourth none: quarantined with the reason (a text file is only kept)."""
    limits = LimitsSettings(max_extraction_seconds_per_message=10)
    ticks = iter([0.0, 0.0, 7.5, 10.0, 11.0])
    found = examine_message(
        [
            AttachedFile("a.docx", DOCX, REPORT),
            AttachedFile("b.docx", DOCX, OTHER_REPORT),
            AttachedFile("c.pdf", PDF, SAME_AS_PDF),
            AttachedFile("d.txt", "text/plain", b"hej"),
        ],
        limits,
        worker,
        clock=lambda: next(ticks),
    )
    assert [c.state for c in found] == ["report", "report", "quarantined", "other"]
    assert found[2].error == "tidsgränsen för meddelandet (10 s) tog slut före den här bilagan"
    assert [c.sha256 for c in found[2:]] == [sha(SAME_AS_PDF), sha(b"hej")]
    assert found[3].error is None
    assert worker.deadlines == [10.0, 2.5]
    assert worker.limits.timeout_seconds == 30.0  # given back after each file


def test_a_deadline_is_never_below_one_second_nor_above_the_workers(
    worker: RecordingWorker,
) -> None:
    limits = LimitsSettings(max_extraction_seconds_per_message=100)
    ticks = iter([0.0, 0.0, 99.5])
    examine_message(
        [AttachedFile("a.docx", DOCX, REPORT), AttachedFile("b.docx", DOCX, OTHER_REPORT)],
        limits,
        worker,
        clock=lambda: next(ticks),
    )
    assert worker.deadlines == [30.0, 1.0]


def test_a_worker_deadline_under_one_second_is_never_raised() -> None:
    """Given `parse_timeout_seconds = 0.5` and a message with 0.2 s of its budget left, then the
    file gets the worker's 0.5 s: the one-second floor never lifts the configured deadline."""
    chosen = make_worker(LimitsSettings(parse_timeout_seconds=0.5)).limits
    ticks = iter([0.0, 0.0, 99.8])
    with RecordingWorker(chosen) as worker:
        worker.deadlines = []
        examine_message(
            [AttachedFile("a.docx", DOCX, REPORT), AttachedFile("b.docx", DOCX, OTHER_REPORT)],
            LimitsSettings(max_extraction_seconds_per_message=100),
            worker,
            clock=lambda: next(ticks),
        )
    assert worker.deadlines == [0.5, 0.5]


def test_a_budget_of_a_fraction_of_a_second_is_shown_as_written(worker: RecordingWorker) -> None:
    ticks = iter([0.0, 0.5])
    (cand,) = examine_message(
        [AttachedFile("a.docx", DOCX, REPORT)],
        LimitsSettings(max_extraction_seconds_per_message=0.5),
        worker,
        clock=lambda: next(ticks),
    )
    assert cand.error == "tidsgränsen för meddelandet (0.5 s) tog slut före den här bilagan"


# --- one report sent as DOCX and PDF is one document ---


def candidate(name: str, kind: str, title: str | None, org: str | None, data: bytes) -> Candidate:
    media = DOCX if name.endswith(".docx") else PDF
    extraction = Extraction(kind, {"title": title, "organisation": org}, {})
    return Candidate(AttachedFile(name, media, data), sha(data), media, "report", extraction)


def test_the_docx_and_pdf_of_one_report_are_one_group_docx_first() -> None:
    pdf = candidate("r.pdf", "slutrapport", "Kärnhuset 2.0", "Exempelby kommun", b"1")
    docx = candidate("r.docx", "slutrapport", "kärnhuset  2.0", "EXEMPELBY KOMMUN", b"2")
    other_org = candidate("s.pdf", "slutrapport", "Kärnhuset 2.0", "Annan kommun", b"3")
    other_kind = candidate("d.pdf", "delrapport", "Kärnhuset 2.0", "Exempelby kommun", b"4")
    groups = group_reports([pdf, docx, other_org, other_kind])
    assert [[c.file.filename for c in g] for g in groups] == [
        ["r.docx", "r.pdf"],
        ["s.pdf"],
        ["d.pdf"],
    ]


def test_reports_without_a_title_are_each_their_own_document() -> None:
    first = candidate("a.pdf", "slutrapport", None, "Exempelby kommun", b"1")
    second = candidate("b.pdf", "slutrapport", "", "Exempelby kommun", b"2")
    copy = candidate("c.pdf", "slutrapport", None, None, b"1")
    groups = group_reports([first, second, copy])
    assert [[c.file.filename for c in g] for g in groups] == [["a.pdf", "c.pdf"], ["b.pdf"]]


def test_only_reports_with_an_extraction_are_grouped() -> None:
    report = candidate("a.pdf", "slutrapport", "X", "Y", b"1")
    kept = Candidate(AttachedFile("b.pdf", PDF, b"2"), sha(b"2"), PDF, "other")
    no_extraction = Candidate(AttachedFile("c.pdf", PDF, b"3"), sha(b"3"), PDF, "report")
    assert group_reports([kept, report, no_extraction]) == [[report]]


# --- the worker one poll shares ---


def test_make_worker_takes_the_limits_and_the_configured_forms() -> None:
    limits = LimitsSettings(parse_timeout_seconds=12, max_attachment_bytes=1000)
    plain = make_worker(limits)
    assert (plain.limits.timeout_seconds, plain.limits.max_bytes) == (12, 1000)
    assert (plain.limits.forms, plain.limits.min_confidence) == ((), 0.6)
    chosen = make_worker(limits, ExtractionSettings(forms=["egen.toml"], min_confidence=0.8))
    assert (chosen.limits.forms, chosen.limits.min_confidence) == (("egen.toml",), 0.8)
    assert chosen.limits.timeout_seconds == 12
