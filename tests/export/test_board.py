"""casefile export board: one table whose totals are the sums of its rows, notices, one chart."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from lxml import html as lxml_html

from casefile.export.board import HEADERS
from tests.export.conftest import Filled, run


def kronor(text: str) -> int:
    return int(re.sub(r"\D", "", text) or 0) * (-1 if text.strip().startswith("-") else 1)


def export(filled: Filled, output: Path, fmt: str) -> None:
    code, out, err = run(filled.config, "export", "board", "--from", "2026-01-01", "--to",
                         "2026-12-31", "--format", fmt, "--output", str(output))  # fmt: skip
    assert code == 0, err
    assert "4 rapporter" in out


def docx_rows(path: Path) -> list[list[str]]:
    document = docx.Document(str(path))
    (table,) = document.tables
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_has_one_table_with_true_totals_and_one_picture(
    filled: Filled, tmp_path: Path
) -> None:
    """Given four reports received in the year, when the board list is exported, then the DOCX
    has one table of the four reports, a totals row equal to their sums, and one chart."""
    out = tmp_path / "styrelsen.docx"
    export(filled, out, "docx")
    rows = docx_rows(out)
    assert rows[0] == list(HEADERS)
    body, total = rows[1:-1], rows[-1]
    assert [r[0] for r in body] == ["SFG 26-01.01", "SFG 26-02.01", "SFG 26-03.01", "SFG 26-04.01"]
    assert total[0] == "Summa"
    for column in (5, 6, 7):
        assert kronor(total[column]) == sum(kronor(r[column]) for r in body)
    assert kronor(total[5]) == 2842390 + 2842390 + 1500000 + 1200000
    steget = next(r for r in body if r[2] == "Steget Vidare")
    assert steget[7].startswith("-") and kronor(steget[7]) == 2842390 - 2913559
    unsigned = next(r for r in body if r[0] == "SFG 26-03.01")
    assert unsigned[8] == "nej" and unsigned[9] == "ja"
    document = docx.Document(str(out))
    assert len(document.inline_shapes) == 1
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Steget Vidare (SFG 26-02.01) har använt 71\u00a0169 kr mer än beviljat." in text
    assert "SFG 26-03.01" in text  # unsigned and asked to complete
    assert "Kalle" not in text and "anna.berg" not in text


def test_html_has_the_same_rows_and_an_inline_chart(filled: Filled, tmp_path: Path) -> None:
    export(filled, tmp_path / "s.docx", "docx")
    export(filled, tmp_path / "s.html", "html")
    page = lxml_html.fromstring((tmp_path / "s.html").read_bytes())
    rows = [[c.text_content() for c in tr.iter("th", "td")] for tr in page.iter("tr")]
    assert rows == docx_rows(tmp_path / "s.docx")
    (img,) = page.iter("img")
    assert img.get("src", "").startswith("data:image/png;base64,iVBOR")


def test_empty_period_still_makes_a_document(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "tom.docx"
    code, stdout, err = run(filled.config, "export", "board", "--from", "2025-01-01", "--to",
                            "2025-12-31", "--output", str(out))  # fmt: skip
    assert code == 0, err
    assert "0 rapporter" in stdout
    rows = docx_rows(out)
    assert len(rows) == 2 and rows[-1][0] == "Summa"
    assert "Inga rapporter" in "\n".join(p.text for p in docx.Document(str(out)).paragraphs)


def test_matplotlib_is_not_loaded_by_other_commands(filled: Filled, tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from casefile.cli import cli; "
        f"r = CliRunner().invoke(cli, ['--config', {filled.config!r}, 'export', 'diary', "
        "'--from', '2026-01-01', '--to', '2026-12-31']); "
        "assert r.exit_code == 0, r.output; print('matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "False"


def test_format_follows_the_output_suffix(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "styrelsen.html"
    code, _, err = run(filled.config, "export", "board", "--from", "2026-01-01", "--output",
                       str(out))  # fmt: skip
    assert code == 0, err
    assert out.read_bytes().startswith(b"<!DOCTYPE html>")
