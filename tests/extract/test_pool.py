"""The long-lived extraction worker keeps the isolation guarantees across many files."""

from __future__ import annotations

import subprocess
import sys
import time

import badfiles
import pytest
from conftest import FIXTURES

from intake.extract import ExtractionError, ExtractLimits
from intake.extract.pool import ExtractionWorker

DOCX = (FIXTURES / "r01_cell_iso_endash.docx").read_bytes()
LONG_PDF = (FIXTURES / "r06_right_long_tenpages.pdf").read_bytes()


def test_many_files_one_worker() -> None:
    with ExtractionWorker(ExtractLimits()) as worker:
        titles = {worker.extract(DOCX, "r.docx").fields["title"] for _ in range(5)}
        first_pid = worker._proc.pid if worker._proc else None
        worker.extract(DOCX, "r.docx")
        assert worker._proc is not None and worker._proc.pid == first_pid
    assert titles == {"Kärnhuset 2.0"}


def test_timeout_kills_the_worker_and_the_next_file_still_works() -> None:
    with ExtractionWorker(ExtractLimits(timeout_seconds=0.2)) as worker:
        worker.extract(DOCX, "r.docx")  # warm: the deadline is for the parse, not the start
        start = time.monotonic()
        with pytest.raises(ExtractionError) as caught:
            worker.extract(LONG_PDF, "lång.pdf")
        assert caught.value.code == "timeout"
        assert time.monotonic() - start < 2.0
        assert worker.extract(DOCX, "r.docx").fields["title"] == "Kärnhuset 2.0"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (badfiles.zip_bomb_docx(), "zip_bomb"),
        (badfiles.encrypted_pdf(), "encrypted"),
        (b"", "empty"),
    ],
    ids=["zip_bomb", "encrypted_pdf", "empty"],
)
def test_bad_files_give_their_error_and_leave_the_worker_usable(data: bytes, code: str) -> None:
    with ExtractionWorker(ExtractLimits()) as worker:
        with pytest.raises(ExtractionError) as caught:
            worker.extract(data, "fil.docx" if code == "zip_bomb" else "fil.pdf")
        assert caught.value.code == code
        assert len(str(caught.value).splitlines()) == 1
        assert worker.extract(DOCX, "r.docx").document_type == "slutrapport"


def test_memory_limit_restarts_the_worker() -> None:
    limits = ExtractLimits(memory_bytes=200 << 20, max_uncompressed_bytes=1 << 30)
    with ExtractionWorker(limits) as worker:
        with pytest.raises(ExtractionError) as caught:
            worker.extract(badfiles.pdf_bomb(256 << 20), "bomb.pdf")
        assert caught.value.code == "memory"
        assert worker.extract(DOCX, "r.docx").fields["title"] == "Kärnhuset 2.0"


def test_worker_is_recycled_after_max_jobs() -> None:
    with ExtractionWorker(ExtractLimits(), max_jobs=2) as worker:
        worker.extract(DOCX, "a.docx")
        pid = worker._proc.pid if worker._proc else None
        worker.extract(DOCX, "b.docx")
        assert worker._proc is None  # retired after its second file
        worker.extract(DOCX, "c.docx")
        assert worker._proc is not None and worker._proc.pid != pid


def test_the_worker_reads_files_under_a_finite_cpu_hard_limit() -> None:
    """Given a service started with a finite hard CPU limit (systemd LimitCPU=, ulimit -t, a
    test runner's guard), when the worker reads a file, then it answers; it used to raise its
    hard limit to unlimited, which is refused without privileges, and crashed on every file."""
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (3600, 3601))\n"
        "from intake.extract import ExtractLimits\n"
        "from intake.extract.pool import ExtractionWorker\n"
        "with ExtractionWorker(ExtractLimits()) as worker:\n"
        "    print(worker.extract(sys.stdin.buffer.read(), 'r.docx').fields['title'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=DOCX, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "Kärnhuset 2.0"
