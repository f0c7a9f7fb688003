"""Text a sender wrote with control characters XML cannot hold still exports everywhere."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
from lxml import etree
from openpyxl import load_workbook

from casefile.register import NewDocument, register_document
from tests.export.conftest import Filled, run
from tests.export.schemas import erms_schema

ODD = "Rapport\x0bmed\x1fstyrtecken\x00"


def test_control_characters_are_dropped_not_fatal(filled: Filled, tmp_path: Path) -> None:
    """Given a report whose title holds vertical tab, unit separator and NUL-like characters,
    when every export runs, then each succeeds and shows the title without them."""
    with filled.app.sessions() as s, s.begin():
        register_document(
            s,
            filled.app.settings,
            NewDocument(
                kind="slutrapport",
                received_at=dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC),
                sender="x\x1b@odd.test",
                title=ODD,
                organisation="Udda\x0c kommun",
                fields={"granted_sek": 10, "spent_sek": 5},
            ),
        )
    outputs = {
        "diary": tmp_path / "d.xlsx",
        "board": tmp_path / "b.docx",
        "finsam": tmp_path / "f.xlsx",
        "archive": tmp_path / "a",
    }
    for name, out in outputs.items():
        period = {
            "diary": ["--from", "2026-01-01", "--to", "2026-12-31"],
            "board": ["--from", "2026-01-01", "--to", "2026-12-31"],
            "finsam": ["--year", "2026"],
            "archive": ["SFG 26-05"],
        }[name]
        code, _, err = run(filled.config, "export", name, *period, "--output", str(out))
        assert code == 0, (name, err)
    cleaned = "Rapportmedstyrtecken"
    sheet = load_workbook(outputs["diary"]).active
    assert sheet is not None
    assert f"Slutrapport: {cleaned}" in [
        c for row in sheet.iter_rows(values_only=True) for c in row
    ]
    table = docx.Document(str(outputs["board"])).tables[0]
    assert cleaned in [c.text for row in table.rows for c in row.cells]
    erms = etree.parse(str(outputs["archive"] / "metadata" / "descriptive" / "erms.xml"))
    assert erms_schema().validate(erms)
    assert cleaned in [t.text for t in erms.iter("{https://DILCIS.eu/XML/ERMS}title")]
