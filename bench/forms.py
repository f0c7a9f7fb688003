"""Reading other funders' forms: fields and answers right, without a definition (the generic
reader) and with the definition `intake form learn` writes from each blank template.

Families: tests/fixtures/funders/ (real public templates of other Swedish funders rebuilt in
their structure, filled in; see its README.md), DOCX and PDF. Also the office's own form's
one-change variants (tests/fixtures/variants/, read with the shipped definitions), and the
office's reports and variants read with nothing but the definition learnt from the office's own
blank template (tools/fixtures/make_reports.py with every value left empty).

- fields: truth values equal to what was read (period as two dates);
- answers: truth answers found verbatim as some section's text (keys differ between the
  generic reader and a definition, so answers are matched by text, not by key);
- type: document type right.

Usage: python bench/forms.py [-v]
Targets (issue 28): learnt >= 95 % fields and answers; generic >= 60 % each, type right.
Run time: about 15 s.
Exit 1 when a target is missed.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.extract import extract_bytes, interpret  # noqa: E402
from intake.extract.forms import FormDef, load_form  # noqa: E402
from intake.extract.learn import learn, to_toml  # noqa: E402
from intake.extract.model import ExtractLimits  # noqa: E402
from intake.extract.parse import read_layout  # noqa: E402

FUNDERS = ROOT / "tests" / "fixtures" / "funders"
VARIANTS = ROOT / "tests" / "fixtures" / "variants"
REPORTS = ROOT / "tests" / "fixtures" / "reports"


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


def learnt_office() -> FormDef:
    """The office's slutrapport learnt from its blank template (made by the fixture generator:
    every value and answer left empty)."""
    sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
    from make_reports import reports, write_docx

    base = {r.name: r for r in reports()}["r01_cell_iso_endash"]
    blank = dataclasses.replace(
        copy.deepcopy(base),
        name="blank",
        reg=("", "", ""),
        raw=dict.fromkeys(base.raw, ""),
        partners=[],
        sections={},
        sign_values=("", ""),
    )
    buffer = io.BytesIO()
    write_docx(blank, buffer)
    layout = read_layout(buffer.getvalue(), "docx", ExtractLimits())
    form = learn(layout, "kontoret")
    with tempfile.TemporaryDirectory() as tmp:  # what the service loads: the TOML
        path = Path(tmp) / "kontoret.toml"
        path.write_text(to_toml(form), encoding="utf-8")
        return load_form(path)


def read_alone(path: Path, form: FormDef) -> tuple[dict[str, Any], dict[str, str]]:
    layout = read_layout(path.read_bytes(), path.suffix[1:], ExtractLimits())
    reading = interpret.read_with(layout, form)
    return reading.raw.values, interpret.sections(layout, form, reading.heads)


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
    # The office's own form learnt from its blank template, read alone (no shipped definition).
    office = learnt_office()
    f_ok = f_all = a_ok = a_all = 0
    for folder in (REPORTS, VARIANTS):
        for truth_file in sorted(folder.glob("*.json")):
            truth = json.loads(truth_file.read_text(encoding="utf-8"))
            if truth.get("form") not in (None, "slutrapport") or truth["document_type"] != (
                "slutrapport"
            ):
                continue
            for ext in ("docx", "pdf"):
                path = truth_file.with_suffix(f".{ext}")
                fields, sections = read_alone(path, office)
                bad = [k for k, v in truth["fields"].items() if fields.get(k) != v]
                bad_s = [k for k, v in truth["sections"].items() if sections.get(k, "") != v]
                f_ok += len(truth["fields"]) - len(bad)
                f_all += len(truth["fields"])
                a_ok += len(truth["sections"]) - len(bad_s)
                a_all += len(truth["sections"])
                if verbose and (bad or bad_s):
                    print(f"  {path.name} [learnt office]: fields {bad} answers {bad_s}")
    print(f"{'office':10} {'learnt (docx)':16} {pct(f_ok, f_all):>14} {pct(a_ok, a_all):>14}")
    if f_ok / f_all < 0.95 or a_ok / a_all < 0.95:
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
