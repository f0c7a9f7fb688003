"""Hostile and broken attachments: a clear one-line error, fast, with little memory.

Each bad file goes through the isolated path (a child process under RLIMIT_AS and a timeout),
and we assert the child's own peak RSS (from wait4) and the wall time.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path

import badfiles
import pytest
from conftest import FIXTURES

from intake.extract import ExtractionError, ExtractLimits, extract_bytes, extract_path
from intake.extract.isolation import run_isolated

MAX_SECONDS = 10.0
MAX_PEAK = 300 * 1024 * 1024


def own_peak_below(peak: int, before: int, limit: int = MAX_PEAK) -> bool:
    """A child's wait4 peak includes the parent's pages it inherited on fork (and, on Linux,
    the parent's peak at exec). In a long full run pytest itself grows past 300 MB, so there
    the bound is on what the child added above `before` (our peak when it started)."""
    if before < limit // 2:
        return peak < limit
    return peak < before + limit


def our_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _docx() -> bytes:
    return (FIXTURES / "r01_cell_iso_endash.docx").read_bytes()


def _pdf() -> bytes:
    return (FIXTURES / "r01_cell_iso_endash.pdf").read_bytes()


BAD: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "corrupt_docx": ("rapport.docx", lambda: _docx()[: len(_docx()) // 3], "corrupt"),
    "garbage_docx": ("rapport.docx", lambda: b"PK\x03\x04" + b"\x00" * 500, "corrupt"),
    "zip_bomb_1gib": ("rapport.docx", badfiles.zip_bomb_docx, "zip_bomb"),
    "lying_zip_headers": ("rapport.docx", badfiles.lying_zip_docx, "corrupt"),
    "encrypted_zip_entry": (
        "rapport.docx",
        lambda: badfiles.docx_with_encrypted_entry(_docx()),
        "encrypted",
    ),
    "doctype_in_xml": ("rapport.docx", lambda: badfiles.docx_with_doctype(_docx()), "unsupported"),
    "encrypted_pdf": ("rapport.pdf", badfiles.encrypted_pdf, "encrypted"),
    "truncated_pdf": ("rapport.pdf", lambda: badfiles.truncated_pdf(_pdf()), "corrupt"),
    "empty_file": ("rapport.pdf", lambda: b"", "empty"),
    "png_named_pdf": ("rapport.pdf", lambda: badfiles.PNG, "wrong_type"),
    "old_doc_named_docx": (
        "rapport.docx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "encrypted",
    ),
    "text_file": ("rapport.pdf", lambda: "Hej, här är rapporten!".encode(), "wrong_type"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_gives_clear_error_fast_and_small(case: str) -> None:
    """Given a bad attachment, when extracted in isolation, then one clear Swedish line,
    within 10 s and under 300 MB peak in the child."""
    filename, make, code = BAD[case]
    data, before = make(), our_peak()
    run = run_isolated(data, filename, ExtractLimits())
    assert run.extraction is None
    assert run.error is not None
    assert run.error.code == code, str(run.error)
    message = str(run.error)
    assert "\n" not in message and 10 < len(message) < 200
    assert message.endswith(".")
    assert run.elapsed_seconds < MAX_SECONDS
    assert own_peak_below(run.peak_rss_bytes, before)


@pytest.mark.parametrize(
    ("make", "filename"), [(badfiles.zip_bomb_docx, "bomb.docx"), (_docx, "rapport.docx")]
)
def test_the_child_of_this_run_stays_small(make: Callable[[], bytes], filename: str) -> None:
    """The peak of the very child that read this file (from its own wait4), not the largest
    child the test process ever reaped: a real figure (a Python child needs several MB) and
    under 300 MB."""
    data, before = make(), our_peak()
    run = run_isolated(data, filename, ExtractLimits())
    assert run.peak_rss_bytes > 5 * 1024 * 1024
    assert own_peak_below(run.peak_rss_bytes, before)


def test_zip_bomb_refused_by_precheck_in_process() -> None:
    """The pre-check alone refuses the bomb: nothing is unpacked."""
    with pytest.raises(ExtractionError) as info:
        extract_bytes(badfiles.zip_bomb_docx(), "bomb.docx")
    assert info.value.code == "zip_bomb"
    assert "1024 MB" in str(info.value)


def test_pdf_bomb_hits_the_memory_limit() -> None:
    """A content stream that inflates past RLIMIT_AS ends as a 'memory' error, not a kill of us."""
    limits = ExtractLimits(memory_bytes=200 * 1024 * 1024)
    data, before = badfiles.pdf_bomb(256 << 20), our_peak()
    run = run_isolated(data, "bomb.pdf", limits)
    assert run.error is not None and run.error.code == "memory", run.error
    assert run.elapsed_seconds < MAX_SECONDS
    assert own_peak_below(run.peak_rss_bytes, before)


def test_timeout_kills_the_child() -> None:
    """A parse slower than the limit is killed and reported as a timeout."""
    data = (FIXTURES / "r06_right_long_tenpages.pdf").read_bytes()
    run = run_isolated(data, "lång.pdf", ExtractLimits(timeout_seconds=0.2))
    assert run.error is not None and run.error.code == "timeout"
    assert "0.2 sekunder" in str(run.error)
    assert run.elapsed_seconds < 2.0


def test_too_large_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "stor.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n")
    with pytest.raises(ExtractionError) as info:
        extract_path(path, ExtractLimits(max_bytes=1024))
    assert info.value.code == "too_large"


def test_too_many_zip_entries() -> None:
    with pytest.raises(ExtractionError) as info:
        extract_bytes(_docx(), "r.docx", ExtractLimits(max_zip_entries=3))
    assert info.value.code == "zip_bomb"


def test_too_many_pdf_pages() -> None:
    data = (FIXTURES / "r06_right_long_tenpages.pdf").read_bytes()
    with pytest.raises(ExtractionError) as info:
        extract_bytes(data, "r.pdf", ExtractLimits(max_pdf_pages=3))
    assert info.value.code == "too_large"


def test_minimal_hand_made_pdf_is_read() -> None:
    """The hand-made PDF shell used above is valid without its /Encrypt entry."""
    result = extract_bytes(badfiles.simple_pdf("Slutrapport"), "r.pdf")
    assert result.document_type == "slutrapport"


def test_pdf_bomb_with_the_default_limits_stays_under_300_mb() -> None:
    """With the defaults `intake extract` uses (the service's [limits]), a PDF bomb is stopped
    and the parsing child (forked after the imports) never reaches 300 MB."""
    data, before = badfiles.pdf_bomb(), our_peak()
    run = run_isolated(data, "bomb.pdf", ExtractLimits())
    assert run.error is not None and run.error.code == "memory", run.error
    assert run.peak_rss_bytes > 0
    assert own_peak_below(run.peak_rss_bytes, before)
