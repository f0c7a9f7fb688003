"""The diary listing (diarieförteckning) of a period, as CSV, XLSX or JSON.

Every number dated in the period appears once, in number order; a cancelled number stays as
`makulerad` with its reason, because a number is never reused and its absence would look like a
gap. The public version (OSL 5:2) shows a secret document's public title and no names, and never
a personnummer anywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, RowMapping

from casefile.config import RegistrySettings
from casefile.export.common import (
    DIRECTION_WORDS,
    STATUS_WORDS,
    atomic_output,
    description,
    period_documents,
    secret_titles,
    spreadsheet_safe,
    xml_text,
)
from casefile.export.disclosure import Disclosure

COLUMNS = (
    "diarienummer",
    "datum",
    "riktning",
    "avsandare_mottagare",
    "beskrivning",
    "status",
    "sekretess",
)


def diary_row(row: RowMapping, disclosure: Disclosure | None) -> dict[str, str]:
    """One row of the listing; with a disclosure rule (--public) the version that can be handed
    out: a secret document by its public wording and without its party, cancelled or not, and
    every cell through the rule."""
    secret = bool(row["secrecy_provision"])
    # An internal document (upprättad) has no sender or recipient unless one was given.
    party = row["sender"] or ("" if row["direction"] == "internal" else row["organisation"]) or ""
    text = description(row)
    if disclosure is not None and secret:
        # The party may be a person, so it is left out; the title gives way to the public one.
        party = ""
        text = disclosure.public_wording(row["secrecy_public_title"])
    if row["cancelled"]:
        text = f"makulerad: {row['cancel_reason'] or ''}".strip()
    out = {
        "diarienummer": row["diarienummer"],
        "datum": row["received_date"].isoformat(),
        "riktning": DIRECTION_WORDS.get(row["direction"], row["direction"]),
        "avsandare_mottagare": party,
        "beskrivning": text,
        "status": STATUS_WORDS.get(row["status"], row["status"]),
        "sekretess": row["secrecy_provision"] or "",
    }
    if disclosure is not None:
        out = {k: disclosure.text(v) for k, v in out.items()}
    return out


def diary_rows(
    conn: Connection,
    registry: RegistrySettings,
    start: dt.date,
    end: dt.date,
    public: bool = False,
) -> Iterator[dict[str, str]]:
    disclosure = Disclosure(secret_titles(conn)) if public else None
    for row in period_documents(conn, registry, start, end):
        yield diary_row(row, disclosure)


def write_csv(rows: Iterable[dict[str, str]], out: IO[str]) -> int:
    """UTF-8 with a BOM (the caller opens `out` so), so Excel reads å, ä and ö right."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        count += 1
    return count


def write_json(rows: Iterable[dict[str, str]], out: IO[str]) -> int:
    # One array, written item by item: a year's diary is never one string in memory.
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_xlsx(rows: Iterable[dict[str, str]], path: Path) -> int:
    """One sheet, the header row then the rows, the same cells as the CSV."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    # write_only streams rows to disk instead of keeping every cell object.
    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet("Diarium")
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for c in COLUMNS:
            cell = WriteOnlyCell(sheet, value=xml_text(spreadsheet_safe(row[c])))
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            cells.append(cell)
        sheet.append(cells)
        count += 1
    with atomic_output(path) as tmp:
        book.save(tmp)
    return count


def export_diary(
    conn: Connection,
    registry: RegistrySettings,
    start: dt.date,
    end: dt.date,
    fmt: str,
    output: Path | None,
    public: bool,
    stdout: IO[str] | None = None,
) -> int:
    """Write the listing; return how many rows were written."""
    rows = diary_rows(conn, registry, start, end, public)
    if fmt == "xlsx":
        assert output is not None
        return write_xlsx(rows, output)
    writer = write_csv if fmt == "csv" else write_json
    if output is None:
        assert stdout is not None
        return writer(rows, stdout)
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    with atomic_output(output) as tmp, open(tmp, "w", encoding=encoding, newline="") as handle:
        return writer(rows, handle)


def read_csv(data: bytes) -> list[dict[str, str]]:
    """The rows of an exported CSV (for tests and for checking a file handed out)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
