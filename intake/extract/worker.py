"""Child process entry: `python -m intake.extract.worker --filename NAME --limits JSON`.

Reads the file from stdin, writes one JSON object to stdout. Limits are set before the heavy
imports, so python-docx, lxml and pdfminer all run under them.
"""

from __future__ import annotations

import json
import math
import resource
import sys
from typing import Any


def _address_limits(limits_json: dict[str, Any]) -> tuple[int, int]:
    """(soft, hard) RLIMIT_AS: parsing gets the memory limit; the hard limit leaves room for
    LibreOffice (intake/extract/convert.py), which raises its own soft limit up to it."""
    from intake.extract.convert import CONVERT_MEMORY_BYTES

    memory = int(limits_json["memory_bytes"])
    if not limits_json.get("convert", True):
        return memory, memory
    return memory, max(memory, CONVERT_MEMORY_BYTES)


def _set_limits(limits_json: dict[str, Any]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, _address_limits(limits_json))
    timeout_seconds = float(limits_json["timeout_seconds"])
    cpu = math.ceil(timeout_seconds) + 1
    # CPU time backs up the parent's wall-clock timeout if the parent itself is stuck.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _job(
    data: bytes, filename: str, limits_json: dict[str, Any], kind: str | None = None
) -> dict[str, Any]:
    """One extraction; always an answer, never an exception."""
    try:
        from intake.extract.model import ExtractionError, ExtractLimits
        from intake.extract.parse import parse_checked

        limits = ExtractLimits.from_json(limits_json)
        try:
            result = parse_checked(data, filename, limits, kind)
            return {"ok": True, "extraction": result.to_json()}
        except ExtractionError as exc:
            return {"ok": False, "code": exc.code, "message": str(exc)}
    except MemoryError:
        return {
            "ok": False,
            "code": "memory",
            "message": f"Filen {filename} krävde mer minne än tillåtet för att tolkas.",
        }
    except RecursionError:
        return {
            "ok": False,
            "code": "corrupt",
            "message": f"Filen {filename} är skadad (för djupt nästlad struktur).",
        }
    except Exception as exc:  # the child must always answer in JSON
        return {
            "ok": False,
            "code": "corrupt",
            "message": f"Filen {filename} kunde inte tolkas ({type(exc).__name__}).",
        }


def _serve(limits_json: dict[str, Any]) -> int:
    """Many jobs, one at a time (see pool.py); each gets its own CPU-time allowance."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    cpu = math.ceil(float(limits_json["timeout_seconds"])) + 1
    # Import the parsers before saying ready: start-up is not charged to the first file's time.
    import intake.extract.docx_reader
    import intake.extract.parse
    import intake.extract.pdf_reader  # noqa: F401
    from intake.extract.layout import Layout, Para
    from intake.extract.ocr import preload

    preload()
    from intake.extract.parse import extraction_from_layout

    # Parse the shipped form definitions and warm the interpreter once, before the first file.
    extraction_from_layout(Layout([Para("Slutrapport", 0.0)], [], tol=1.0))

    stdout.write(b"ready\n")
    stdout.flush()
    while True:
        header = stdin.readline()
        if not header:
            return 0
        job = json.loads(header)
        data = stdin.read(int(job["size"]))
        # The parent's deadline for this job (a message's budget may shorten it): LibreOffice
        # gets its share of this one.
        job_limits = {
            **limits_json,
            "timeout_seconds": job.get("timeout", limits_json["timeout_seconds"]),
        }
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = math.ceil(used.ru_utime + used.ru_stime)
        # Keep the hard limit we were given (systemd LimitCPU=, ulimit -t): raising it needs
        # privileges, and the refusal would crash the worker on every file.
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = spent + cpu if hard == resource.RLIM_INFINITY else min(spent + cpu, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        out = _job(data, str(job["filename"]), job_limits, job.get("kind"))
        stdout.write(json.dumps(out, ensure_ascii=False).encode() + b"\n")
        stdout.flush()


def main(argv: list[str] | None = None) -> int:
    import argparse  # not in a forked child, which runs _job only

    parser = argparse.ArgumentParser()
    parser.add_argument("--filename")
    parser.add_argument("--limits", required=True)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args(argv)
    limits_json: dict[str, Any] = json.loads(args.limits)
    if args.serve:
        resource.setrlimit(resource.RLIMIT_AS, _address_limits(limits_json))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        return _serve(limits_json)
    _set_limits(limits_json)
    max_bytes = int(limits_json["max_bytes"])
    out = _job(sys.stdin.buffer.read(max_bytes + 1), args.filename or "fil", limits_json)
    sys.stdout.write(json.dumps(out, ensure_ascii=False))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
