"""OCR timings against bare tesseract, measured in one run (issue 27).

- `intake extract tests/fixtures/scans/s01_scan.pdf --json` (a 2-page image-only PDF) against
  a bare shell doing the same page images' work: `pdftoppm -r 200 -gray` and
  `tesseract PAGE - -l swe+eng --dpi 200 tsv` per page (OMP_THREAD_LIMIT=1 on both sides).
  Target: ratio <= 1.3. Seconds per page are printed for both.

Usage: python bench/ocr.py [--repeat N]      (best of N runs, interleaved; default 2)

Times are CPU seconds of the whole process tree (user + system from wait4, which counts the
children waited for: the parsing worker, pdftoppm, tesseract). Exit 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCAN = ROOT / "tests" / "fixtures" / "scans" / "s01_scan.pdf"
PAGES = 2
INTAKE = Path(sys.executable).with_name("intake")
BARE = (
    'd=$(mktemp -d) && pdftoppm -r 200 -gray "$1" "$d/p" && '
    'for f in "$d"/p-*.pgm; do tesseract "$f" - -l swe+eng --dpi 200 tsv >/dev/null; done; '
    'rm -r "$d"'
)


def run(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one process and everything it waited for."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("CASEFILE_CONFIG", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"fel: {' '.join(cmd)} misslyckades")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    ours = [str(INTAKE), "extract", str(SCAN), "--json"]
    bare = ["sh", "-c", BARE, "sh", str(SCAN)]
    best = [(float("inf"), float("inf"))] * 2
    for _ in range(args.repeat):
        for i, cmd in enumerate((ours, bare)):
            cpu, wall = run(cmd)
            best[i] = (min(best[i][0], cpu), min(best[i][1], wall))
    (o_cpu, o_wall), (b_cpu, b_wall) = best
    ratio = o_cpu / b_cpu
    rows = [
        ("intake extract (2-page scan, OCR)", o_cpu, o_wall, f"{o_cpu / PAGES:10.2f}"),
        ("bare pdftoppm + tesseract (same pages)", b_cpu, b_wall, f"{b_cpu / PAGES:10.2f}"),
        ("ratio (target <= 1.3)", ratio, o_wall / b_wall, "ok" if ratio <= 1.3 else "MISSED"),
    ]
    print(f"{'measure':44s} {'cpu s':>7s} {'wall s':>7s}  {'cpu s/page':>10s}")
    for name, cpu, wall, last in rows:
        print(f"{name:44s} {cpu:7.3f} {wall:7.3f}  {last}")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
