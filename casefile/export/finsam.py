"""The annual follow-up sheet (Uppföljning Finsam, the annual report): one row per insats.

Figures come from the reports in the register. A report's "utnyttjade medel" is cumulative for
the insats, so what was spent in the year is the newest figure reported by the end of the year
less the newest reported before it began. Only totals are counted (reports, insatser); nothing
about individual participants or contact persons is in the sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from casefile.db.schema import cases, documents
from casefile.export.common import (
    amount,
    atomic_output,
    period_text,
    secret_titles,
    spreadsheet_safe,
    xml_text,
)
from casefile.export.disclosure import Disclosure
from casefile.states import REPORT_KINDS, DocumentStatus

COLUMNS = (
    "arende",
    "insats",
    "organisation",
    "period",
    "beviljat",
    "utnyttjat_under_aret",
    "utnyttjat_totalt",
    "avvikelse",
    "rapportstatus",
    "rapporter_under_aret",
)


@dataclass(frozen=True)
class FinsamRow:
    arende: str
    insats: str
    organisation: str
    period: str
    beviljat: int | None
    utnyttjat_under_aret: int | None
    utnyttjat_totalt: int | None
    avvikelse: int | None
    rapportstatus: str
    rapporter_under_aret: int

    def values(self) -> list[Any]:
        return [getattr(self, c) for c in COLUMNS]


def _overlaps(fields: dict[str, Any], year: int) -> bool:
    start, end = str(fields.get("period_start") or ""), str(fields.get("period_end") or "")
    return bool(start or end) and start[:4] <= str(year) <= (end[:4] or "9999")


def _status(case: RowMapping, reports: list[RowMapping], year_end: dt.date) -> str:
    finals = [r for r in reports if r["kind"] == "slutrapport"]
    if finals:
        newest = finals[-1]
        return (
            "slutrapport ofullständig"
            if newest["status"] == DocumentStatus.INCOMPLETE
            else "slutrapport"
        )
    due = case["due_date"]
    if due is not None and due <= year_end:
        return "slutrapport försenad"
    return "delrapport" if reports else "ingen rapport"


def finsam_rows(conn: Connection, year: int) -> list[FinsamRow]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    stmt = (
        select(documents, cases.c.number.label("case_number"))
        .join(cases, documents.c.case_id == cases.c.id)
        .where(
            documents.c.kind.in_(REPORT_KINDS),
            documents.c.cancelled.is_(False),
            documents.c.received_date <= last,
        )
        .order_by(cases.c.year, cases.c.serial, documents.c.received_at, documents.c.id)
    )
    by_case: dict[int, list[RowMapping]] = {}
    for d in conn.execute(stmt).mappings():
        by_case.setdefault(d["case_id"], []).append(d)
    case_rows = {
        c["id"]: c
        for c in conn.execute(select(cases).where(cases.c.id.in_(list(by_case)))).mappings()
    }
    # The sheet goes into the annual report: every text through the disclosure rule.
    disclosure = Disclosure(secret_titles(conn))
    out: list[FinsamRow] = []
    for case_id, reports in by_case.items():
        case = case_rows[case_id]
        latest = reports[-1]
        fields = latest["fields"] or {}
        in_year = [r for r in reports if r["received_date"] >= first]
        if not in_year and not _overlaps(fields, year):
            continue
        before = [r for r in reports if r["received_date"] < first]
        granted = amount(fields, "granted_sek")
        total = amount(fields, "spent_sek")
        previous = amount(before[-1]["fields"] or {}, "spent_sek") if before else 0
        out.append(
            FinsamRow(
                arende=case["number"],
                insats=disclosure.title(
                    case["title"] or latest["title"],
                    bool(latest["secrecy_provision"]),
                    latest["secrecy_public_title"],
                ),
                organisation=disclosure.text(case["organisation"] or latest["organisation"]),
                period=disclosure.text(period_text(fields)),
                beviljat=granted,
                utnyttjat_under_aret=(
                    total - previous if total is not None and previous is not None else None
                ),
                utnyttjat_totalt=total,
                avvikelse=granted - total if granted is not None and total is not None else None,
                rapportstatus=_status(case, reports, last),
                rapporter_under_aret=len(in_year),
            )
        )
    return out


def totals(rows: list[FinsamRow]) -> list[Any]:
    def total(key: str) -> int:
        return sum(getattr(r, key) or 0 for r in rows)

    return [
        "Summa",
        f"{len(rows)} insatser",
        "",
        "",
        total("beviljat"),
        total("utnyttjat_under_aret"),
        total("utnyttjat_totalt"),
        total("avvikelse"),
        "",
        total("rapporter_under_aret"),
    ]


def _cell(value: Any) -> str:
    return "" if value is None else spreadsheet_safe(str(value))


def _xlsx_value(value: Any) -> Any:
    return xml_text(spreadsheet_safe(value)) if isinstance(value, str) else value


def write_csv(rows: list[FinsamRow], path: Path) -> None:
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([_cell(v) for v in r.values()])
        writer.writerow([_cell(v) for v in totals(rows)])


def write_xlsx(rows: list[FinsamRow], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet: Any = book.active
    sheet.title = "Uppföljning"
    sheet.append(list(COLUMNS))
    for r in rows:
        sheet.append([_xlsx_value(v) for v in r.values()])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever an insats is called
    sheet.append(totals(rows))
    bold = Font(bold=True)
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = bold
    for column in "EFGH":
        for cell in sheet[column][1:]:
            cell.number_format = "# ##0"
    with atomic_output(path) as tmp:
        book.save(tmp)
