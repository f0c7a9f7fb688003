"""casefile export diary: every number of the period once, in order; the public version."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from casefile.export.diary import COLUMNS, read_csv
from casefile.export.disclosure import PNR_MASK, has_personnummer, mask_personnummer
from casefile.register import NewDocument, register_document
from tests.export.conftest import PERSONNUMMER, PUBLIC_TITLE, SECRET_TITLE, Filled, run


def number_key(number: str) -> tuple[int, int, int]:
    yy, rest = number.split(" ")[1].split("-")
    case, doc = rest.split(".")
    return int(yy), int(case), int(doc)


def export_csv(filled: Filled, tmp_path: Path, *extra: str) -> tuple[bytes, list[dict[str, str]]]:
    out = tmp_path / "diarium.csv"
    code, stdout, err = run(
        filled.config, "export", "diary", "--from", "2026-01-01", "--to", "2026-12-31",
        "--output", str(out), *extra,
    )  # fmt: skip
    assert code == 0, err
    assert "rader" in stdout
    data = out.read_bytes()
    return data, read_csv(data)


def test_diary_has_every_number_once_in_order(filled: Filled, tmp_path: Path) -> None:
    """Given reports by intake, documents by hand and a cancellation, when the year is exported,
    then every number appears once, in number order, the cancelled one as makulerad."""
    data, rows = export_csv(filled, tmp_path)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    numbers = [r["diarienummer"] for r in rows]
    assert sorted(numbers) == sorted(filled.numbers)
    assert len(set(numbers)) == len(numbers) == 8
    assert numbers == sorted(numbers, key=number_key)
    assert list(rows[0]) == list(COLUMNS)
    (cancelled,) = [r for r in rows if r["status"] == "makulerad"]
    assert "Fel ärende" in cancelled["beskrivning"]
    directions = {r["riktning"] for r in rows}
    assert directions == {"inkommande", "utgående", "upprättad"}
    by_title = {r["beskrivning"]: r for r in rows}
    assert by_title["Slutrapport: Kärnhuset 2.0"]["datum"] == "2026-02-03"
    # 23:20 UTC on 3 February is 00:20 on 4 February in Stockholm.
    assert by_title["Slutrapport: Steget Vidare"]["datum"] == "2026-02-04"
    secret = [r for r in rows if r["sekretess"]]
    assert [r["beskrivning"] for r in secret] == [SECRET_TITLE]


def test_period_limits_the_rows(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "feb.csv"
    code, _, err = run(
        filled.config, "export", "diary", "--from", "2026-02-04", "--to", "2026-02-28",
        "--output", str(out),
    )  # fmt: skip
    assert code == 0, err
    dates = [r["datum"] for r in read_csv(out.read_bytes())]
    assert dates and all("2026-02-04" <= d <= "2026-02-28" for d in dates)
    assert "2026-02-03" not in dates and "2026-03-10" not in dates


def test_public_version_hides_secret_title_names_and_personnummer(
    filled: Filled, tmp_path: Path
) -> None:
    """Given a secret document and a personnummer in a title, when exported --public, then
    neither the secret title, the sender's name nor the personnummer is anywhere in the file."""
    internal, _ = export_csv(filled, tmp_path)
    assert PERSONNUMMER.encode() in internal and SECRET_TITLE.encode() in internal
    data, rows = export_csv(filled, tmp_path, "--public")
    text = data.decode("utf-8-sig")
    assert SECRET_TITLE not in text
    assert "Kalle" not in text
    assert PERSONNUMMER not in text and PERSONNUMMER.replace("-", "")[2:] not in text
    assert not any(has_personnummer(v) for r in rows for v in r.values())
    (secret,) = [r for r in rows if r["sekretess"]]
    assert secret["beskrivning"] == PUBLIC_TITLE
    assert secret["avsandare_mottagare"] == ""
    assert any(PNR_MASK in r["beskrivning"] for r in rows)
    assert len(rows) == 8


def test_public_version_hides_the_sender_of_a_cancelled_secret_document(
    filled: Filled, tmp_path: Path
) -> None:
    """Given the secret document cancelled (its reason naming its title), when exported
    --public, then neither its sender nor its real title is in the file; the number stays."""
    (secret_number,) = [
        r["diarienummer"] for r in export_csv(filled, tmp_path)[1] if r["sekretess"]
    ]
    code, _, err = run(filled.config, "cancel", secret_number, "--reason",
                       f"Dubblett av {SECRET_TITLE}", "--by", "AKH")  # fmt: skip
    assert code == 0, err
    data, rows = export_csv(filled, tmp_path, "--public")
    text = data.decode("utf-8-sig")
    assert "Kalle" not in text and "kalle@example.test" not in text
    (row,) = [r for r in rows if r["diarienummer"] == secret_number]
    assert row["status"] == "makulerad" and row["avsandare_mottagare"] == ""
    assert row["beskrivning"] == f"makulerad: Dubblett av {PUBLIC_TITLE}"


def test_xlsx_has_the_same_rows_as_the_csv(filled: Filled, tmp_path: Path) -> None:
    _, rows = export_csv(filled, tmp_path, "--public")
    out = tmp_path / "diarium.xlsx"
    code, _, err = run(
        filled.config, "export", "diary", "--from", "2026-01-01", "--to", "2026-12-31",
        "--public", "--format", "xlsx", "--output", str(out),
    )  # fmt: skip
    assert code == 0, err
    sheet = load_workbook(out, read_only=True).active
    assert sheet is not None
    values = [
        [c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert values[0] == list(COLUMNS)
    assert values[1:] == [[r[c] for c in COLUMNS] for r in rows]


def test_json_to_stdout_has_the_same_rows(filled: Filled, tmp_path: Path) -> None:
    _, rows = export_csv(filled, tmp_path)
    code, out, err = run(
        filled.config, "export", "diary", "--from", "2026-01-01", "--to", "2026-12-31",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == rows


def test_csv_to_stdout_without_output(filled: Filled, tmp_path: Path) -> None:
    _, rows = export_csv(filled, tmp_path)
    code, out, err = run(filled.config, "export", "diary", "--from", "2026-01-01",
                         "--to", "2026-12-31")  # fmt: skip
    assert code == 0, err
    assert read_csv(out.encode()) == rows


@pytest.mark.parametrize(
    "args",
    [
        ("--from", "2026-13-01", "--to", "2026-12-31"),
        ("--from", "2026-02-01", "--to", "2026-01-01"),
        ("--from", "2026-01-01", "--to", "2026-12-31", "--format", "xlsx"),
    ],
)
def test_bad_usage_exits_2_with_one_line(filled: Filled, args: tuple[str, ...]) -> None:
    code, _, err = run(filled.config, "export", "diary", *args)
    assert code == 2
    assert "Traceback" not in err


def test_missing_folder_is_one_line_exit_1(filled: Filled, tmp_path: Path) -> None:
    code, _, err = run(filled.config, "export", "diary", "--from", "2026-01-01", "--to",
                       "2026-12-31", "--output", str(tmp_path / "nope" / "x.csv"))  # fmt: skip
    assert code == 1
    assert err.startswith("fel: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    "text",
    [
        "198507099805",
        "19850709-9805",
        "850709-9805",
        "8507099805",
        "850709+9805",
        "19850769-9802",  # samordningsnummer: day + 60
        "pnr:850709-9805, tack",
        "850709-9806",  # fails the Luhn check: a mistyped number is still a person's
    ],
)
def test_personnummer_forms_are_masked(text: str) -> None:
    masked = mask_personnummer(text)
    assert PNR_MASK in masked
    assert not any(ch.isdigit() for ch in masked.replace("pnr:", ""))


@pytest.mark.parametrize(
    "text",
    [
        "Beviljat 2842390 kr",
        "070-755 99 28",
        "SFG 26-01.02",
        "2022-10-01–2024-12-31",
        "Order 12345678901234",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_personnummer(text) == text


def test_text_that_looks_like_a_formula_stays_text(filled: Filled, tmp_path: Path) -> None:
    """Given a title a sender wrote as a spreadsheet formula, when exported as CSV and XLSX,
    then it is text in both (a leading apostrophe), never a formula."""
    with filled.app.sessions() as s, s.begin():
        register_document(
            s,
            filled.app.settings,
            NewDocument(
                kind="skrivelse",
                received_at=dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC),
                sender="@attacker.test",
                title='=HYPERLINK("http://evil.test","Klicka")',
                organisation="X",
            ),
        )
    _, rows = export_csv(filled, tmp_path)
    (row,) = [r for r in rows if "HYPERLINK" in r["beskrivning"]]
    assert row["beskrivning"].startswith("'=") and row["avsandare_mottagare"] == "'@attacker.test"
    out = tmp_path / "d.xlsx"
    code, _, err = run(filled.config, "export", "diary", "--from", "2026-01-01", "--to",
                       "2026-12-31", "--format", "xlsx", "--output", str(out))  # fmt: skip
    assert code == 0, err
    sheet = load_workbook(out).active
    assert sheet is not None
    cells = [c for r in sheet.iter_rows() for c in r if "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in cells] == [(row["beskrivning"], "s")]


def test_xlsx_is_chosen_by_the_output_suffix(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "diarium.xlsx"
    code, _, err = run(filled.config, "export", "diary", "--from", "2026-01-01", "--to",
                       "2026-12-31", "--output", str(out))  # fmt: skip
    assert code == 0, err
    assert out.read_bytes()[:2] == b"PK"  # a zip: the XLSX container
