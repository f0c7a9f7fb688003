"""casefile export finsam: one row per insats, the year's and the total figures, totals only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from casefile.db.models import Case
from casefile.export.finsam import COLUMNS
from casefile.register import NewDocument, register_document
from tests.export.conftest import Filled, run


def export(filled: Filled, output: Path, fmt: str, year: str = "2026") -> None:
    code, out, err = run(filled.config, "export", "finsam", "--year", year, "--format", fmt,
                         "--output", str(output))  # fmt: skip
    assert code == 0, err
    assert "insatser skrivna till" in out


def add_earlier_delrapport(filled: Filled) -> None:
    """Språkstegen reported 200 000 kr spent in 2025: 2026 spent the rest of its 412 300."""
    with filled.app.sessions() as s, s.begin():
        case = s.scalars(select(Case).where(Case.title == "Språkstegen")).one()
        register_document(
            s,
            filled.app.settings,
            NewDocument(
                kind="delrapport",
                received_at=dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC),
                title="Språkstegen",
                organisation=case.organisation,
                fields={"granted_sek": 1200000, "spent_sek": 200000,
                        "period_start": "2025-01-01", "period_end": "2026-12-31"},
                submitter_signed=True,
            ),
            into=case,
        )  # fmt: skip


def test_csv_has_one_row_per_insats_with_year_and_total(filled: Filled, tmp_path: Path) -> None:
    add_earlier_delrapport(filled)
    out = tmp_path / "finsam.csv"
    export(filled, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS)
    body, total = rows[:-1], rows[-1]
    by_insats = {r["insats"]: r for r in body}
    assert set(by_insats) == {"Kärnhuset 2.0", "Steget Vidare", "Hälsoslingan – ”Gå och må”",
                              "Språkstegen"}  # fmt: skip
    sprak = by_insats["Språkstegen"]
    assert (sprak["utnyttjat_totalt"], sprak["utnyttjat_under_aret"]) == ("412300", "212300")
    assert sprak["avvikelse"] == str(1200000 - 412300)
    assert sprak["rapportstatus"] == "delrapport" and sprak["rapporter_under_aret"] == "1"
    assert by_insats["Steget Vidare"]["avvikelse"] == str(2842390 - 2913559)
    assert by_insats["Hälsoslingan – ”Gå och må”"]["rapportstatus"] == "slutrapport ofullständig"
    assert total["arende"] == "Summa" and total["insats"] == "4 insatser"
    for key in ("beviljat", "utnyttjat_under_aret", "utnyttjat_totalt", "avvikelse"):
        assert int(total[key]) == sum(int(r[key]) for r in body)
    text = out.read_text(encoding="utf-8-sig")
    assert "@" not in text and "Maja" not in text  # no contact persons, no individuals


def test_xlsx_has_the_same_rows(filled: Filled, tmp_path: Path) -> None:
    export(filled, tmp_path / "f.csv", "csv")
    export(filled, tmp_path / "f.xlsx", "xlsx")
    expected = list(csv.reader(io.StringIO((tmp_path / "f.csv").read_text("utf-8-sig"))))
    sheet = load_workbook(tmp_path / "f.xlsx").active
    assert sheet is not None
    got = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert got == expected


def test_year_without_reports_has_only_totals(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    export(filled, out, "csv", "2027")
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    # Språkstegen's period runs to 2026: in 2027 nothing is reported and no period is running.
    assert [r[0] for r in rows] == ["arende", "Summa"]
