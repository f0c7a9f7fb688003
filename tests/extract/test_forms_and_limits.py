"""Form definitions as data (validation, extra forms from the configuration), one set of limits
for `intake extract` and the service, and file names that look like options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import badfiles
import pytest
from conftest import FIXTURES

from casefile.config import CONFIG_ENV, LimitsSettings
from intake.commands import extract as extract_command
from intake.commands.extract import limits_for, run_extract
from intake.extract import ExtractionError, ExtractLimits, extract_bytes
from intake.extract.forms import KINDS, FormError, builtin, load_form, load_forms

REPO = Path(__file__).resolve().parents[2]


def test_shipped_definitions_are_the_config_files() -> None:
    """The package carries exact copies of config/forms/*.toml."""
    for path in (REPO / "config" / "forms").glob("*.toml"):
        packaged = REPO / "intake" / "extract" / "forms" / path.name
        assert packaged.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert {f.name for f in load_forms()} == {"slutrapport", "lagesrapport", "generic"}


def test_every_mistake_in_a_definition_is_one_line(tmp_path: Path) -> None:
    """Given a definition with three mistakes, then loading names each on its own line."""
    bad = tmp_path / "fel.toml"
    bad.write_text(
        'name = "fel"\n'
        'document_type = "faktura"\n'
        "[[fields]]\n"
        'key = "titel"\n'
        'labels = ["Namn"]\n'
        'kind = "text"\n'
        "[[fields]]\n"
        'key = "contact_phone"\n'
        'labels = ["Telefon"]\n'
        'kind = "telefon"\n',
        encoding="utf-8",
    )
    with pytest.raises(FormError) as caught:
        load_form(bad)
    lines = caught.value.lines
    assert len(lines) == 3
    assert all(line.startswith(f"{bad}: ") and "\n" not in line for line in lines)
    assert "document_type" in lines[0] and "faktura" in lines[0]
    assert "fields[0].key" in lines[1] and "titel" in lines[1]
    assert "fields[1].kind" in lines[2] and "telefon" in lines[2]


def test_sections_and_fields_that_are_not_tables_are_named(tmp_path: Path) -> None:
    """Given `sections` that is no list and a `fields` entry that is no table, then loading
    names each, and the fields that are tables are still checked."""
    bad = tmp_path / "fel.toml"
    bad.write_text(
        'name = "fel"\n'
        "sections = 4\n"
        'fields = ["titel", { key = "title", labels = ["Insats"], kind = "datum" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(FormError) as caught:
        load_form(bad)
    assert caught.value.lines == [
        f"{bad}: sections: ska vara en lista av tabeller ([[sections]])",
        f"{bad}: fields[0]: ska vara en tabell",
        f"{bad}: fields[1].kind: okänd typ 'datum' (tillåtna: {', '.join(KINDS)})",
    ]


def test_config_adds_a_form_without_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given [extraction] forms naming a new definition, when a report of that form is read,
    then `intake extract` uses it and says so."""
    form = tmp_path / "ungdomsrapport.toml"
    form.write_text(
        'name = "ungdomsrapport"\n'
        'document_type = "slutrapport"\n'
        'title_words = ["ungdomsrapport"]\n'
        "[[fields]]\n"
        'key = "title"\n'
        'labels = ["Aktivitetens namn"]\n'
        "required = true\n"
        "[[fields]]\n"
        'key = "contact_name"\n'
        'labels = ["Ledare"]\n'
        "[[sections]]\n"
        'number = "1"\n'
        'title = "Vad hände"\n',
        encoding="utf-8",
    )
    config = tmp_path / "casefile.toml"
    config.write_text(f'[extraction]\nforms = ["{form}"]\n', encoding="utf-8")
    from docx import Document

    doc = Document()
    doc.add_paragraph("Ungdomsrapport")
    doc.add_paragraph("Aktivitetens namn: Sommarlovsklubben")
    doc.add_paragraph("Ledare: Sara Lind")
    doc.add_paragraph("1 Vad hände")
    doc.add_paragraph("Vi träffades varje vecka.")
    path = tmp_path / "rapport.docx"
    doc.save(str(path))
    assert run_extract(str(path), True, str(config)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["form"] == "ungdomsrapport" and out["form_confidence"] == 1.0
    assert out["fields"]["title"] == "Sommarlovsklubben"
    assert out["fields"]["contact_name"] == "Sara Lind"
    assert out["sections"]["1"] == "Vi träffades varje vecka."


def test_a_bad_form_in_the_config_is_reported_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = tmp_path / "trasig.toml"
    form.write_text('name = "trasig"\n[[sections]]\nnumber = "4.x"\ntitle = "X"\n', "utf-8")
    config = tmp_path / "casefile.toml"
    config.write_text(f'[extraction]\nforms = ["{form}"]\n', encoding="utf-8")
    code = run_extract(str(FIXTURES / "r01_cell_iso_endash.docx"), True, str(config))
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err and all(line.startswith("fel: ") for line in err)
    assert any("sections[0].number" in line for line in err)


def test_extract_uses_the_services_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a configuration the defaults are the service's; with one, its [limits]."""
    monkeypatch.delenv("CASEFILE_CONFIG", raising=False)
    assert extract_command.CONFIG_ENV == CONFIG_ENV
    service = LimitsSettings()
    assert limits_for(None) == ExtractLimits.from_settings(service)
    assert ExtractLimits().memory_bytes == service.parse_memory_mb * 1024 * 1024
    config = tmp_path / "casefile.toml"
    config.write_text("[limits]\nparse_memory_mb = 128\nmax_pdf_pages = 3\n", encoding="utf-8")
    limits = limits_for(str(config))
    assert limits.memory_bytes == 128 * 1024 * 1024 and limits.max_pdf_pages == 3
    monkeypatch.setenv("CASEFILE_CONFIG", str(config))
    assert limits_for(None).max_pdf_pages == 3


def test_config_limits_apply_to_extract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Given [limits] max_pdf_pages = 2, then a ten-page report is refused by `intake extract`."""
    config = tmp_path / "casefile.toml"
    config.write_text("[limits]\nmax_pdf_pages = 2\n", encoding="utf-8")
    code = run_extract(str(FIXTURES / "r06_right_long_tenpages.pdf"), True, str(config))
    assert code == 1
    assert "sidor" in capsys.readouterr().err


def test_file_name_starting_with_a_dash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file called "-rapport.pdf" is a file, also for the parsing child."""
    path = tmp_path / "--limits=x -rapport.pdf"
    shutil.copy(FIXTURES / "r01_cell_iso_endash.pdf", path)
    assert run_extract(str(path), True) == 0
    assert json.loads(capsys.readouterr().out)["fields"]["title"] == "Kärnhuset 2.0"


def test_file_name_starting_with_a_dash_in_a_fresh_interpreter() -> None:
    """The fallback child (a new interpreter, used when threads run) gets the name whole."""
    from intake.extract.isolation import _outcome, _run_subprocess

    data = (FIXTURES / "r01_cell_iso_endash.docx").read_bytes()
    limits = ExtractLimits()
    status, _usage, raw, timed_out = _run_subprocess(data, "--help.docx", limits)
    run = _outcome("--help.docx", limits, status, raw, timed_out, 0.0, 0)
    assert run.error is None and run.extraction is not None
    assert run.extraction.fields["title"] == "Kärnhuset 2.0"


def test_utf16_part_with_a_dtd_is_refused() -> None:
    """Given a DOCX whose document part is UTF-16 with a DTD, then the pre-check refuses it."""
    data = badfiles.docx_with_utf16_doctype((FIXTURES / "r01_cell_iso_endash.docx").read_bytes())
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(data, "r.docx")
    assert caught.value.code == "unsupported" and "DTD" in str(caught.value)


def test_generic_definition_has_the_common_labels() -> None:
    """The generic definition knows the labels Swedish funders' report forms use."""
    generic = builtin("generic")
    labels = {label.casefold() for f in generic.fields for label in f.labels}
    for want in (
        "projektnamn",
        "sökande",
        "kontaktperson",
        "telefon",
        "e-post",
        "projekttid",
        "beviljat belopp",
        "utfall",
        "datum",
        "namnförtydligande",
    ):
        assert want in labels, want


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("PROJEKTSTÖD – Slutrapport", "slutrapport"),
        ("Slutredovisning av projektmedel", "slutrapport"),
        ("Projektredovisning", "slutrapport"),
        ("UPPFÖLJNING – Lägesrapport 2", "delrapport"),
        ("Delredovisning", "delrapport"),
        ("Ansökan om samverkansmedel", "ansokan"),
        ("Protokoll från styrelsemöte", "unknown"),
    ],
)
def test_document_type_from_title_words_in_compounds_and_after_other_words(
    title: str, kind: str
) -> None:
    """The type word counts wherever it stands in the title line, also inside a compound."""
    from intake.extract.interpret import document_type
    from intake.extract.layout import Para

    words: dict[str, tuple[str, ...]] = {}
    for form in load_forms():
        words.update(form.document_types)
    paras = [Para("Samordningsförbundet Exempeldalen", 0.0), Para(title, 1.0)]
    assert document_type(paras, words) == kind
