"""`run_extract`, the function behind `intake extract FILE [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from intake.commands.extract import run_extract


def test_json_output_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_extract(str(FIXTURES / "r03_right_sdt_overspent.docx"), as_json=True)
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    assert doc["fields"]["title"] == "Steget Vidare"
    assert doc["findings"][0]["code"] == "overspent"
    assert "Utnyttjade medel (2 913 559 kr)" in out  # ensure_ascii=False keeps Swedish


def test_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_extract(str(FIXTURES / "r05_cell_missing_section8_underspent.pdf"), as_json=False)
    out = capsys.readouterr().out
    assert code == 0
    assert "Insatsens namn: Bron" in out
    assert "Beviljade medel: 985 000 kr" in out
    assert "Avsnitt 8, Uppgiftslämnare, saknas i rapporten." in out


def test_error_is_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bild.pdf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    code = run_extract(str(bad), as_json=True)
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.startswith("fel: ") and captured.err.count("\n") == 1
    assert "PNG" in captured.err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_extract(str(tmp_path / "finns-inte.docx"), as_json=False) == 1
    assert capsys.readouterr().err.startswith("fel: Filen finns-inte.docx kunde inte läsas")
