"""The diary's number order (issue 26): by each document's own number, compared as numbers,
whatever case the document sits in after `casefile move`, and past 99 cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from casefile.app import App
from casefile.export.diary import read_csv
from casefile.register import NewDocument, find_case, move_document, register_document
from tests.export.conftest import run, write_config

CASES = 150
MOVES = {"SFG 26-02.01": "SFG 26-03", "SFG 26-120.01": "SFG 26-05", "SFG 26-07.01": "SFG 26-140"}


def number_key(number: str) -> tuple[int, int, int]:
    yy, rest = number.split(" ")[1].split("-")
    case, doc = rest.split(".")
    return int(yy), int(case), int(doc)


def test_diary_is_in_number_order_after_moves_and_past_99_cases(app: App, tmp_path: Path) -> None:
    """Given 150 cases of one year, three documents moved to other cases and a new document in
    a case a document was moved into, when the diary is exported, then every number appears
    once in numeric number order: 26-02.01 before 26-03.01, 26-99.01 before 26-100.01."""
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with app.sessions() as s, s.begin():
        for i in range(CASES):
            register_document(
                s,
                app.settings,
                NewDocument(
                    kind="slutrapport",
                    received_at=start + dt.timedelta(minutes=i),
                    sender=f"rapport{i}@kommun{i}.test",
                    title=f"Insats nummer {i}",
                    organisation=f"Kommun {i}",
                ),
                actor="AKH",
            )
    with app.sessions() as s, s.begin():
        for ref, target in MOVES.items():
            move_document(s, app.settings, ref, target, "AKH")
        case3 = find_case(s, app.settings, "SFG 26-03")
        late = register_document(
            s,
            app.settings,
            NewDocument(kind="delrapport", received_at=start + dt.timedelta(days=1), title="X"),
            actor="AKH",
            into=case3,
        )
        assert late.diarienummer == "SFG 26-03.02"
    config = write_config(app, tmp_path)
    out = tmp_path / "diarium.csv"
    code, _, err = run(config, "export", "diary", "--from", "2026-01-01", "--to", "2026-12-31",
                       "--output", str(out))  # fmt: skip
    assert code == 0, err
    numbers = [r["diarienummer"] for r in read_csv(out.read_bytes())]
    assert len(numbers) == len(set(numbers)) == CASES + 1
    assert numbers == sorted(numbers, key=number_key)
    assert numbers[:4] == ["SFG 26-01.01", "SFG 26-02.01", "SFG 26-03.01", "SFG 26-03.02"]
    assert numbers.index("SFG 26-99.01") + 1 == numbers.index("SFG 26-100.01")
