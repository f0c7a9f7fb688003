"""OCR timings against bare tesseract, measured in one run (issue 27).

- `intake extract tests/fixtures/scans/s01_scan.pdf --json` (a 2-page image-only PDF) against
  a bare shell doing the same page images' work: `pdftoppm -r 200 -gray` and
  `tesseract PAGE - -l swe+eng --dpi 200 tsv` per page (OMP_THREAD_LIMIT=1 on both sides).
  Target: ratio <= 1.3. Seconds per page are printed for both.
- Read by OCR, against the truth of the same pages (tests/fixtures/scans/*.json; scored by
  tools/fixtures/score_ocr.py): fields read exactly (issue 27: >= 90 %), answers >= 95 %
  similar (every one), amounts and dates read wrong (none), for the scan, the photo
  (EXIF-rotated), the photo laid on its side without an EXIF tag (turned by tesseract's
  orientation detection), and the report as two photos (page 2 photographed here).

Usage: python bench/ocr.py [--repeat N] [--no-fields]   (best of N runs, interleaved; default 2)

Times are CPU seconds of the whole process tree (user + system from wait4, which counts the
children waited for: the parsing worker, pdftoppm, tesseract). Exit 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


def _second_photo() -> bytes:
    """Page 2 of the report photographed as page 1 was (tools/fixtures/make_scans.py: turned,
    in perspective, uneven light, stored sideways with EXIF orientation 6), made here."""
    import numpy as np
    from PIL import Image

    from tools.fixtures.make_scans import SOURCE, photo, render

    page_2 = render(SOURCE, 2)[1]
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    photo(page_2, np.random.default_rng(29)).save(buf, format="JPEG", quality=80, exif=exif)
    return buf.getvalue()


def field_scores() -> list[tuple[str, Any]]:
    """(name, Score) for the scan, the photo, the photo on its side and the report as two
    photos, read as intake reads them, against the truth of the pages they show
    (tools/fixtures/score_ocr.py: fields exact, answers >= 95 % similar, wrong figures)."""
    sys.path.insert(0, str(ROOT))
    from PIL import Image, ImageOps

    from intake.extract import extract_bytes
    from intake.extract.ocr import PAGES_KIND, pack_pages
    from tools.fixtures.score_ocr import score, truth

    photo = SCAN.with_name("s02_photo.jpg")
    with Image.open(photo) as img:
        sideways = ImageOps.exif_transpose(img).rotate(90, expand=True)
    buf = io.BytesIO()
    sideways.save(buf, format="PNG")
    two = pack_pages([photo.read_bytes(), _second_photo()])
    cases = [
        ("scan (2-page image-only PDF)", SCAN.read_bytes(), "scan.pdf", None, "s01_scan"),
        ("photo (JPEG, EXIF orientation 6)", photo.read_bytes(), "photo.jpg", None, "s02_photo"),
        ("photo on its side, no EXIF (PNG)", buf.getvalue(), "sideways.png", None, "s02_photo"),
        ("two photos, pages 1 and 2 (JPEG)", two, "bilder", PAGES_KIND, "s01_scan"),
    ]
    out = []
    for name, data, filename, kind, truth_name in cases:
        got = extract_bytes(data, filename, kind=kind)
        out.append((name, score(got.fields, got.sections, truth(truth_name))))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-fields", action="store_true", help="skip the field scores")
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
    ok = ratio <= 1.3
    if not args.no_fields:
        print(
            "\nread by OCR, against the truth of the same pages (targets: fields exactly"
            "\n>= 90 %, every answer >= 95 % similar, no wrong amount or date)"
        )
        print(f"{'fixture':34s} {'fields':>7s} {'answers':>8s} {'lowest':>7s} {'wrong':>6s}")
        for name, sc in field_scores():
            ok = ok and sc.met
            fields = f"{sc.fields_exact}/{sc.fields}"
            answers = f"{sc.answers_similar}/{sc.answers}"
            print(
                f"{name:34s} {fields:>7s} {answers:>8s} {sc.lowest_ratio:7.3f} "
                f"{len(sc.wrong):6d}  {'ok' if sc.met else 'MISSED'}"
            )
            for miss in sc.misses:
                print(f"    {miss}"[:79])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
