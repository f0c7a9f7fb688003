"""A long-lived extraction worker: the same limits as extract_isolated, without a new process
for every file.

Starting Python and importing python-docx and pdfminer costs about 150 ms, more than reading a
report. The worker pays that once and then extracts one file at a time, under RLIMIT_AS for its
whole life and a per-job CPU limit and wall-clock deadline. A job that times out, runs out of
memory or kills the worker ends with an ExtractionError, and the next job gets a fresh worker;
the worker is also replaced after `max_jobs` files so that memory cannot creep.

Protocol on the worker's stdin/stdout: a JSON header line {"filename", "size"}, then `size`
bytes; the answer is one JSON line (the same shape as `python -m intake.extract.worker`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from intake.extract.model import Extraction, ExtractionError, ExtractLimits
from intake.extract.preflight import check_size

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_RESTART_CODES = frozenset({"memory", "timeout"})
# Starting Python and importing the parsers; generous, as a loaded machine can be slow.
START_SECONDS = 60.0


class ExtractionWorker:
    def __init__(self, limits: ExtractLimits, max_jobs: int = 200) -> None:
        self.limits = limits
        self.max_jobs = max_jobs
        self._proc: subprocess.Popen[bytes] | None = None
        self._jobs = 0

    def __enter__(self) -> ExtractionWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        limits = json.dumps(dataclasses.asdict(self.limits))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "intake.extract.worker", "--serve", "--limits", limits],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self._jobs = 0
        assert self._proc.stdout is not None
        ready = _read_line(self._proc.stdout, time.monotonic() + START_SECONDS)
        if ready != b"ready\n":
            self._abandon(self._proc)
            raise ExtractionError("unsupported", "Tolkningsprocessen kunde inte startas.")
        return self._proc

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            self._kill(proc)

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def extract(self, data: bytes, filename: str, kind: str | None = None) -> Extraction:
        """Extract one file; raises ExtractionError exactly as extract_isolated does. `kind`
        names what no content tells (a mail body), else the worker finds it."""
        check_size(len(data), filename, self.limits)
        proc = self._proc if self._proc and self._proc.poll() is None else self._start()
        assert proc.stdin is not None and proc.stdout is not None
        job = {
            "filename": filename,
            "size": len(data),
            "timeout": self.limits.timeout_seconds,
            "kind": kind,
        }
        header = json.dumps(job).encode() + b"\n"
        try:
            proc.stdin.write(header)
            proc.stdin.write(data)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._abandon(proc)
            raise self._crashed(filename) from None
        line = _read_line(proc.stdout, time.monotonic() + self.limits.timeout_seconds)
        if line is None:
            self._abandon(proc)
            raise ExtractionError(
                "timeout",
                f"Tolkningen av {filename} tog längre tid än {self.limits.timeout_seconds:g} "
                "sekunder och avbröts.",
            )
        if not line:
            self._abandon(proc)
            raise self._crashed(filename)
        answer: dict[str, Any] = json.loads(line)
        self._jobs += 1
        if answer.get("ok"):
            if self._jobs >= self.max_jobs:
                self.close()
            return Extraction.from_json(answer["extraction"])
        code = str(answer.get("code", "corrupt"))
        if code in _RESTART_CODES:
            # After a MemoryError the worker's heap is in an unknown state: start afresh.
            self._abandon(proc)
        raise ExtractionError(code, str(answer.get("message", "")))

    def _abandon(self, proc: subprocess.Popen[bytes]) -> None:
        self._kill(proc)
        self._proc = None

    @staticmethod
    def _crashed(filename: str) -> ExtractionError:
        return ExtractionError(
            "memory",
            f"Tolkningen av {filename} avbröts: den krävde för mycket minne eller kraschade.",
        )


def _read_line(stream: IO[bytes], deadline: float) -> bytes | None:
    """One line from the worker, or None when the deadline passes first."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b""
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)
