"""Run extraction in a child process with RLIMIT_AS and a wall-clock timeout.

A subprocess (not multiprocessing) keeps the child small and lets us reap it with wait4, which
gives the child's own peak RSS: the figure the safety tests assert on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import os
import resource
import select
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from intake.extract.model import Extraction, ExtractionError, ExtractLimits
from intake.extract.preflight import check_size

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class IsolatedRun:
    """Outcome of one child run, with what it cost."""

    extraction: Extraction | None
    error: ExtractionError | None
    elapsed_seconds: float
    peak_rss_bytes: int


def _wait(pid: int, timeout: float) -> tuple[int, resource.struct_rusage] | None:
    """Reap `pid` within `timeout` seconds; None if it is still running."""
    deadline = time.monotonic() + timeout
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = -1
    try:
        while True:
            got, status, usage = os.wait4(pid, os.WNOHANG)
            if got == pid:
                return status, usage
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if fd >= 0:
                select.select([fd], [], [], left)
            else:
                time.sleep(min(0.01, left))
    finally:
        if fd >= 0:
            os.close(fd)


def _address_space_bytes() -> int:
    """This process's address-space size now (Linux), or 0 where /proc is not there."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_isolated(data: bytes, filename: str, limits: ExtractLimits) -> IsolatedRun:
    """Extract `data` in a child process; never raises for a bad file, returns the error.

    In a single-threaded process (the CLI) the child is forked after the parsers are imported,
    which saves a second interpreter start; with threads running, forking is unsafe (a lock
    held by another thread stays locked in the child), so a fresh interpreter is started."""
    start = time.monotonic()
    try:
        check_size(len(data), filename, limits)
    except ExtractionError as exc:
        return IsolatedRun(None, exc, time.monotonic() - start, 0)
    # A forked child inherits the parent's address space, which counts against its own
    # RLIMIT_AS: a large parent would leave it no room to parse. Fork only from a small one.
    small = _address_space_bytes() < limits.memory_bytes // 2
    if hasattr(os, "fork") and threading.active_count() == 1 and small:
        status, usage, raw, timed_out = _run_forked(data, filename, limits)
    else:
        status, usage, raw, timed_out = _run_subprocess(data, filename, limits)
    elapsed = time.monotonic() - start
    peak = int(usage.ru_maxrss) * 1024  # Linux reports kilobytes
    return _outcome(filename, limits, status, raw, timed_out, elapsed, peak)


def _run_forked(
    data: bytes, filename: str, limits: ExtractLimits
) -> tuple[int, resource.struct_rusage, bytes, bool]:
    import intake.extract.parse
    from intake.extract.forms import FormError, load_forms
    from intake.extract.preflight import image_type_for
    from intake.extract.worker import _job, _set_limits

    with contextlib.suppress(FormError):  # the child reports a bad definition itself
        load_forms(limits.forms)  # parsed here once, inherited by the child
    # Import the one reader this file needs before forking: the child starts ready to parse.
    if data.lstrip()[:5] == b"%PDF-" or image_type_for(data) is not None:
        import intake.extract.pdf_reader
        from intake.extract.ocr import preload

        preload()  # a scan may need OCR: numpy's libraries mapped here, not under the limit
    else:
        import intake.extract.docx_reader  # noqa: F401
    limits_json = dataclasses.asdict(limits)
    read_fd, write_fd = os.pipe()
    # The collector in the child would walk (and so write to, copying page by page) every
    # object the parent made; frozen, they are left alone. The parent thaws them at once.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: limits first, then parse, answer in JSON, never return
        code = 0
        try:
            os.close(read_fd)
            os.setsid()
            _set_limits(limits_json)
            out = _job(data, filename, limits_json)
            payload = json.dumps(out, ensure_ascii=False).encode()
            view = memoryview(payload)
            while view:
                view = view[os.write(write_fd, view) :]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    gc.unfreeze()
    os.close(write_fd)
    deadline = time.monotonic() + limits.timeout_seconds
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                timed_out = True
                break
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    if timed_out:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _pid, status, usage = os.wait4(pid, 0)
    return status, usage, b"".join(chunks), timed_out


def _run_subprocess(
    data: bytes, filename: str, limits: ExtractLimits
) -> tuple[int, resource.struct_rusage, bytes, bool]:
    # Only this path (a service with threads) starts a process: the CLI forks without these.
    import subprocess
    import tempfile

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    cmd = [
        sys.executable,
        "-m",
        "intake.extract.worker",
        # One argument: a file name starting with "-" must not read as an option.
        f"--filename={filename}",
        f"--limits={json.dumps(dataclasses.asdict(limits))}",
    ]
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout:
        stdin.write(data)
        stdin.seek(0)
        proc = subprocess.Popen(
            cmd,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # so a kill takes anything the child started
        )
        waited = _wait(proc.pid, limits.timeout_seconds)
        timed_out = waited is None
        if waited is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            _pid, status, usage = os.wait4(proc.pid, 0)
        else:
            status, usage = waited
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by us, tell Popen
        stdout.seek(0)
        raw = stdout.read()
    return status, usage, raw, timed_out


def _outcome(
    filename: str,
    limits: ExtractLimits,
    status: int,
    raw: bytes,
    timed_out: bool,
    elapsed: float,
    peak: int,
) -> IsolatedRun:
    if timed_out:
        err = ExtractionError(
            "timeout",
            f"Tolkningen av {filename} tog längre tid än {limits.timeout_seconds:g} sekunder "
            "och avbröts.",
        )
        return IsolatedRun(None, err, elapsed, peak)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL) and peak < limits.memory_bytes // 2:
            code, what = "timeout", "tog för lång tid"
        else:
            code, what = "memory", "krävde för mycket minne eller kraschade"
        err = ExtractionError(code, f"Tolkningen av {filename} avbröts: den {what} (signal {sig}).")
        return IsolatedRun(None, err, elapsed, peak)
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        err = ExtractionError(
            "memory", f"Tolkningen av {filename} avbröts utan svar (troligen minnesgränsen)."
        )
        return IsolatedRun(None, err, elapsed, peak)
    if answer.get("ok"):
        return IsolatedRun(Extraction.from_json(answer["extraction"]), None, elapsed, peak)
    err = ExtractionError(str(answer.get("code", "corrupt")), str(answer.get("message", "")))
    return IsolatedRun(None, err, elapsed, peak)
