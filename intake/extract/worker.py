"""Child process entry: `python -m intake.extract.worker --filename NAME --limits JSON`.

Reads the file from stdin, writes one JSON object to stdout. Limits are set before the heavy
imports, so python-docx, lxml and pdfminer all run under them.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
from typing import Any


def _set_limits(memory_bytes: int, timeout_seconds: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = math.ceil(timeout_seconds) + 1
    # CPU time backs up the parent's wall-clock timeout if the parent itself is stuck.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filename", required=True)
    parser.add_argument("--limits", required=True)
    args = parser.parse_args(argv)
    limits_json: dict[str, Any] = json.loads(args.limits)
    _set_limits(int(limits_json["memory_bytes"]), float(limits_json["timeout_seconds"]))

    out: dict[str, Any]
    try:
        from intake.extract.api import extract_bytes
        from intake.extract.model import ExtractionError, ExtractLimits

        limits = ExtractLimits(**limits_json)
        data = sys.stdin.buffer.read(limits.max_bytes + 1)
        try:
            result = extract_bytes(data, args.filename, limits)
            out = {"ok": True, "extraction": result.to_json()}
        except ExtractionError as exc:
            out = {"ok": False, "code": exc.code, "message": str(exc)}
    except MemoryError:
        out = {
            "ok": False,
            "code": "memory",
            "message": f"Filen {args.filename} krävde mer minne än tillåtet för att tolkas.",
        }
    except RecursionError:
        out = {
            "ok": False,
            "code": "corrupt",
            "message": f"Filen {args.filename} är skadad (för djupt nästlad struktur).",
        }
    except Exception as exc:  # the child must always answer in JSON
        out = {
            "ok": False,
            "code": "corrupt",
            "message": f"Filen {args.filename} kunde inte tolkas ({type(exc).__name__}).",
        }
    sys.stdout.write(json.dumps(out, ensure_ascii=False))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
