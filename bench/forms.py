"""Reading other funders' forms: fields and answers right, without a definition (the generic
reader) and with the definition `intake form learn` writes from each blank template.

Families: tests/fixtures/funders/ (real public templates of other Swedish funders rebuilt in
their structure, filled in; see its README.md), DOCX and PDF. Also the office's own form's
one-change variants (tests/fixtures/variants/, read with the shipped definitions).

- fields: truth values equal to what was read (period as two dates);
- answers: truth answers found verbatim as some section's text (keys differ between the
  generic reader and a definition, so answers are matched by text, not by key);
- type: document type right.

Usage: python bench/forms.py [-v]
Targets (issue 28): learnt >= 95 % fields and answers; generic >= 60 % each, type right.
Exit 1 when a target is missed.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.extract import extract_bytes  # noqa: E402
from intake.extract.learn import learn, to_toml  # noqa: E402
from intake.extract.model import ExtractLimits  # noqa: E402
from intake.extract.parse import read_layout  # noqa: E402

FUNDERS = ROOT / "tests" / "fixtures" / "funders"
VARIANTS = ROOT / "tests" / "fixtures" / "variants"


def score_family(
    family: str, limits: ExtractLimits, verbose: bool
) -> tuple[int, int, int, int, int, int]:
    f_ok = f_all = a_ok = a_all = t_ok = t_all = 0
    for truth_file in sorted(FUNDERS.glob(f"{family}_*.json")):
        truth: dict[str, Any] = json.loads(truth_file.read_text(encoding="utf-8"))
        for ext in ("docx", "pdf"):
            path = truth_file.with_suffix(f".{ext}")
            result = extract_bytes(path.read_bytes(), path.name, limits)
            bad = [k for k, v in truth["fields"].items() if result.fields.get(k) != v]
            texts = set(result.sections.values())
            missed = [i for i, a in enumerate(truth["answers"]) if a not in texts]
            f_ok += len(truth["fields"]) - len(bad)
            f_all += len(truth["fields"])
            a_ok += len(truth["answers"]) - len(missed)
            a_all += len(truth["answers"])
            t_ok += result.document_type == truth["document_type"]
            t_all += 1
            if verbose and (bad or missed):
                print(f"  {path.name} [{result.form}]: fields {bad} answers {missed}")
    return f_ok, f_all, a_ok, a_all, t_ok, t_all


def pct(a: int, b: int) -> str:
    return f"{a}/{b} = {a / b:.0%}" if b else "–"


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    ok = True
    families = sorted({p.stem.rsplit("_", 1)[0] for p in FUNDERS.glob("*_mall.docx")})
    print(f"{'family':10} {'reader':16} {'fields':>14} {'answers':>14} {'type':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for family in families:
            rows: list[tuple[str, ExtractLimits]] = [("generic", ExtractLimits())]
            for ext in ("docx", "pdf"):
                mall = FUNDERS / f"{family}_mall.{ext}"
                layout = read_layout(mall.read_bytes(), ext, ExtractLimits())
                definition = Path(tmp) / f"{family}_{ext}.toml"
                definition.write_text(to_toml(learn(layout, family)), encoding="utf-8")
                rows.append((f"learnt ({ext})", ExtractLimits(forms=(str(definition),))))
            for reader, limits in rows:
                f_ok, f_all, a_ok, a_all, t_ok, t_all = score_family(family, limits, verbose)
                print(
                    f"{family:10} {reader:16} {pct(f_ok, f_all):>14} {pct(a_ok, a_all):>14} "
                    f"{t_ok}/{t_all:>5}"
                )
                need = 0.6 if reader == "generic" else 0.95
                if (f_all and f_ok / f_all < need) or (a_all and a_ok / a_all < need):
                    ok = False
                if t_ok != t_all:
                    ok = False
    # The office's own form: one-change variants with the shipped definitions.
    f_ok = f_all = a_ok = a_all = 0
    for truth_file in sorted(VARIANTS.glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for ext in ("docx", "pdf"):
            path = truth_file.with_suffix(f".{ext}")
            result = extract_bytes(path.read_bytes(), path.name)
            bad = [k for k, v in truth["fields"].items() if result.fields.get(k) != v]
            bad_s = [k for k, v in truth["sections"].items() if result.sections.get(k, "") != v]
            f_ok += len(truth["fields"]) - len(bad)
            f_all += len(truth["fields"])
            a_ok += len(truth["sections"]) - len(bad_s)
            a_all += len(truth["sections"])
            if verbose and (bad or bad_s):
                print(f"  {path.name}: fields {bad} answers {bad_s}")
    print(f"{'variants':10} {'shipped':16} {pct(f_ok, f_all):>14} {pct(a_ok, a_all):>14}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
