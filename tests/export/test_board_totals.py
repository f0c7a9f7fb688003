"""casefile export board: the totals are sums per insats, not per report."""

from __future__ import annotations

from pathlib import Path

import docx

from tests.export.conftest import Filled, run
from tests.support.mail import REPORTS


def test_two_reports_of_one_insats_count_its_grant_once(filled: Filled, tmp_path: Path) -> None:
    """Given SFG 26-04 with a delrapport by mail, when a second delrapport of the same insats is
    registered into it by hand, then the board's list has five rows but the totals count the
    insats's grant once: the granted total is that of the four insatser, and says so."""
    paper = tmp_path / "delrapport maj.docx"
    paper.write_bytes((REPORTS / "r08_row_delrapport.docx").read_bytes())
    code, _, err = run(filled.config, "register", str(paper), "--from", "Lisa Å", "--received",
                       "2026-05-04", "--case", "SFG 26-04", "--by", "AKH")  # fmt: skip
    assert code == 0, err
    out = tmp_path / "styrelsen.docx"
    code, _, err = run(filled.config, "export", "board", "--from", "2026-01-01", "--to",
                            "2026-12-31", "--output", str(out))  # fmt: skip
    assert code == 0, err
    (table,) = docx.Document(str(out)).tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    body, total = rows[1:-1], rows[-1]
    assert [r[0] for r in body][-2:] == ["SFG 26-04.01", "SFG 26-04.02"]
    assert body[-1][5] == body[-2][5] != ""  # the same grant on both reports
    granted = int("".join(ch for ch in total[5] if ch.isdigit()))
    assert granted == 2842390 + 2842390 + 1500000 + 1200000
    assert total[2] == "5 rapporter, 4 insatser"
