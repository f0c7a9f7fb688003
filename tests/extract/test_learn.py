"""`intake form learn`: a definition learnt from another funder's blank template reads filled
copies of it (tests/fixtures/funders/, rebuilt from public templates; see its README)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from intake.extract import extract_bytes
from intake.extract.forms import load_form
from intake.extract.interpret import marker_number
from intake.extract.learn import learn, to_toml
from intake.extract.model import ExtractLimits
from intake.extract.parse import read_layout

FUNDERS = Path(__file__).resolve().parent.parent / "fixtures" / "funders"


def _learnt(family: str, ext: str, tmp: Path) -> Path:
    layout = read_layout((FUNDERS / f"{family}_mall.{ext}").read_bytes(), ext, ExtractLimits())
    path = tmp / f"{family}.toml"
    path.write_text(to_toml(learn(layout, family)), encoding="utf-8")
    return path


def test_learnt_definition_loads_and_reads_every_field_and_answer(tmp_path: Path) -> None:
    """Given Kulturrådet's template (labels other funders use, the funder's own support contacts
    printed at the top), when learnt and used, then the definition loads as written and its
    filled copies read every field and answer, none from the funder's contacts."""
    path = _learnt("kultur", "docx", tmp_path)
    form = load_form(path)
    assert [s.number for s in form.sections if s.answer] == ["2", "3", "4"]
    assert {f.key: f.kind for f in form.fields}["period"] == "period"
    truth = json.loads((FUNDERS / "kultur_1.json").read_text(encoding="utf-8"))
    for ext in ("docx", "pdf"):
        data = (FUNDERS / f"kultur_1.{ext}").read_bytes()
        result = extract_bytes(data, f"k.{ext}", ExtractLimits(forms=(str(path),)))
        assert result.form == "kultur"
        assert {k: result.fields[k] for k in truth["fields"]} == truth["fields"]
        assert [result.sections[k] for k in ("2", "3", "4")] == truth["answers"]
        assert "kulturradet" not in str(result.fields)


def test_free_text_template_with_helper_beside_heading(tmp_path: Path) -> None:
    """Given "Struktur för slutrapport" (13 numbered questions, a helper sentence after the
    question mark on the heading's line), when learnt, then a filled DOCX is read with it and
    no answer starts with the helper."""
    path = _learnt("struktur", "docx", tmp_path)
    form = load_form(path)
    assert len(form.sections) == 13
    second = form.section("2")
    assert second is not None and second.helper.startswith("Förklara")
    truth = json.loads((FUNDERS / "struktur_1.json").read_text(encoding="utf-8"))
    data = (FUNDERS / "struktur_1.docx").read_bytes()
    result = extract_bytes(data, "s.docx", ExtractLimits(forms=(str(path),)))
    assert result.form == "struktur"
    assert [result.sections[str(i)] for i in range(1, 14)] == truth["answers"]


def test_roman_numerals_are_section_numbers() -> None:
    """Given roman markers, then they read as the numbers the definition uses."""
    assert [marker_number(m) for m in ("IV.1", "VII.2.1", "VIII.", "C.", "4.1")] == [
        "4.1",
        "7.2.1",
        "8",
        "C",
        "4.1",
    ]


def test_command_writes_and_checks(tmp_path: Path) -> None:
    """Given the Malmö template, when `intake form learn --output --check` runs, then the file
    is written and each report's fields and answers are counted."""
    out = tmp_path / "malmo.toml"
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("intake")),
            "form",
            "learn",
            str(FUNDERS / "malmo_mall.docx"),
            "--output",
            str(out),
            "--check",
            str(FUNDERS / "malmo_1.docx"),
        ],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "CASEFILE_CONFIG"}
        | {"CASEFILE_LANG": "sv"},
    )
    assert proc.returncode == 0, proc.stderr
    assert load_form(out).name == "malmo"
    assert "malmo_1.docx: 4 av 4 fält, 5 av 5 svar" in proc.stdout


def test_a_section_lost_in_reading_is_a_finding_for_staff() -> None:
    """Given a report whose 4.1 heading was lost (its text stands under the group heading 4),
    when read, then 4.1 is empty and a finding says it could not be read (no completion)."""
    from intake.extract import interpret
    from intake.extract.findings import NO_COMPLETION_CODES, sections_not_read
    from intake.extract.forms import default_form
    from intake.extract.layout import Layout, Para

    texts = [
        "Slutrapport",
        "4 Insatsbeskrivning",
        "Insatsen startades för att unga vuxna skulle få ett samlat stöd mot arbete.",
        "4.2 Målgrupp för insatsen",
        "Unga vuxna mellan 18 och 29 år som står långt från arbetsmarknaden.",
        "5 Resultat och utfall av insats",
    ]
    layout = Layout([Para(t, 10.0 * i) for i, t in enumerate(texts)], [], tol=2.0)
    form = default_form()
    heads = interpret.find_headings(layout, form)
    answers = interpret.sections(layout, form, heads)
    assert answers["4.1"] == ""
    assert answers["4.2"].startswith("Unga vuxna")
    lost = interpret.unread_sections(layout, form, heads, answers)
    assert lost == ["4.1"]  # 5.1 and the rest: no text between their neighbours
    finding = sections_not_read(lost)
    assert finding.message == "Avsnitt 4.1 kunde inte läsas; kontrollera rapporten."
    assert finding.code in NO_COMPLETION_CODES


def test_the_forms_own_42_helper_never_heads_the_answer() -> None:
    """Given 4.2 with the helper as the office's form prints it ("Vilka grupper/individer har
    omfattats av insatsen.", plain text), when read, then the answer starts after it."""
    from intake.extract import interpret
    from intake.extract.forms import default_form
    from intake.extract.layout import Layout, Para

    texts = [
        "4.2 Målgrupp för insatsen",
        "Vilka grupper/individer har omfattats av insatsen.",
        "Unga vuxna mellan 18 och 29 år.",
        "5 Resultat och utfall av insats",
    ]
    layout = Layout([Para(t, 10.0 * i) for i, t in enumerate(texts)], [], tol=2.0)
    form = default_form()
    answers = interpret.sections(layout, form, interpret.find_headings(layout, form))
    assert answers["4.2"] == "Unga vuxna mellan 18 och 29 år."


def test_generic_reader_knows_other_funders_labels() -> None:
    """Given Kulturrådet's form filled in (labels "Sökandes namn", "Fysisk person som är
    huvudansvarig", "Telefon gsm", "Projekttid (år, mån, dag)", "Beviljat belopp (kr)"), when
    read with no definition of it, then every field is right and none is the funder's."""
    truth = json.loads((FUNDERS / "kultur_2.json").read_text(encoding="utf-8"))
    result = extract_bytes((FUNDERS / "kultur_2.pdf").read_bytes(), "k.pdf")
    assert result.form == "generic"
    assert result.document_type == "slutrapport"
    assert {k: result.fields[k] for k in truth["fields"]} == truth["fields"]
