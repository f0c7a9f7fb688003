"""The board's list of the reports received in a period (DOCX or HTML): one row per report, a
totals row, a few notices for the meeting papers, and a chart of granted against spent per insats.

matplotlib is imported here only, inside the chart function, with the Agg backend: no display,
and no other command pays for its start-up.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from casefile.db.schema import cases, documents
from casefile.export.common import (
    amount,
    atomic_output,
    completion_requested,
    period_text,
    secret_titles,
    sek,
    xml_text,
)
from casefile.export.disclosure import Disclosure
from casefile.states import REPORT_KINDS

HEADERS = (
    "Diarienummer",
    "Ankomstdatum",
    "Insats",
    "Organisation",
    "Period",
    "Beviljat (kr)",
    "Utnyttjat (kr)",
    "Differens (kr)",
    "Undertecknad",
    "Komplettering begärd",
)


@dataclass(frozen=True)
class BoardRow:
    diarienummer: str
    received: dt.date
    kind: str
    insats: str
    organisation: str
    period: str
    granted: int | None
    spent: int | None
    signed: bool
    completion_requested: bool
    case: str = ""  # the case (one insats's matter): its grant counts once in the totals

    @property
    def difference(self) -> int | None:
        if self.granted is None or self.spent is None:
            return None
        return self.granted - self.spent

    def cells(self) -> list[str]:
        return [xml_text(c) for c in self._cells()]

    def _cells(self) -> list[str]:
        return [
            self.diarienummer,
            self.received.isoformat(),
            self.insats,
            self.organisation,
            self.period,
            sek(self.granted),
            sek(self.spent),
            sek(self.difference),
            "ja" if self.signed else "nej",
            "ja" if self.completion_requested else "nej",
        ]


@dataclass
class BoardReport:
    office: str
    start: dt.date
    end: dt.date
    rows: list[BoardRow] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Inkomna rapporter {self.start.isoformat()}–{self.end.isoformat()}"

    def per_insats(self) -> dict[str, tuple[int | None, int | None]]:
        """Per case: the newest granted and spent figures its reports give (the rows are in
        arrival order; spent is cumulative, so the newest figure is the insats's spending)."""
        out: dict[str, tuple[int | None, int | None]] = {}
        for r in self.rows:
            granted, spent = out.get(r.case or r.diarienummer, (None, None))
            out[r.case or r.diarienummer] = (
                r.granted if r.granted is not None else granted,
                r.spent if r.spent is not None else spent,
            )
        return out

    def totals(self) -> tuple[int, int, int]:
        """Sums per insats, not per report: two delrapporter of one insats count its grant once."""
        figures = self.per_insats().values()
        granted = sum(g or 0 for g, _ in figures)
        spent = sum(s or 0 for _, s in figures)
        difference = sum(g - s for g, s in figures if g is not None and s is not None)
        return granted, spent, difference

    def total_cells(self) -> list[str]:
        granted, spent, difference = self.totals()
        count = f"{len(self.rows)} rapporter, {len(self.per_insats())} insatser"
        return ["Summa", "", count, "", "", sek(granted), sek(spent), sek(difference), "", ""]

    def notices(self) -> list[str]:
        """Short sentences for the meeting papers: what the board should notice."""
        out: list[str] = []
        over = [r for r in self.rows if r.difference is not None and r.difference < 0]
        for r in over:
            out.append(
                f"{r.insats} ({r.diarienummer}) har använt {sek(-(r.difference or 0))} kr "
                "mer än beviljat."
            )
        unsigned = [r.diarienummer for r in self.rows if not r.signed]
        if unsigned:
            out.append("Inte undertecknade av uppgiftslämnaren: " + ", ".join(unsigned) + ".")
        asked = [r.diarienummer for r in self.rows if r.completion_requested]
        if asked:
            out.append("Komplettering har begärts för: " + ", ".join(asked) + ".")
        missing = [r.diarienummer for r in self.rows if r.granted is None or r.spent is None]
        if missing:
            out.append("Ekonomiska uppgifter saknas i: " + ", ".join(missing) + ".")
        if not self.rows:
            out.append("Inga rapporter kom in under perioden.")
        elif not out:
            out.append("Inga avvikelser att notera.")
        return [xml_text(n) for n in out]


def board_report(conn: Connection, start: dt.date, end: dt.date, office: str) -> BoardReport:
    stmt = (
        select(documents, cases.c.title.label("case_title"), cases.c.number.label("case_number"))
        .join(cases, documents.c.case_id == cases.c.id)
        .where(
            documents.c.kind.in_(REPORT_KINDS),
            documents.c.cancelled.is_(False),
            documents.c.received_date >= start,
            documents.c.received_date <= end,
        )
        .order_by(documents.c.received_date, cases.c.year, cases.c.serial, documents.c.serial)
    )
    docs = list(conn.execute(stmt).mappings())
    asked = completion_requested(conn, [d["id"] for d in docs])
    # The board's papers are public: every text through the disclosure rule.
    disclosure = Disclosure(secret_titles(conn))
    report = BoardReport(office, start, end)
    for d in docs:
        fields = d["fields"] or {}
        report.rows.append(
            BoardRow(
                diarienummer=d["diarienummer"],
                received=d["received_date"],
                kind=d["kind"],
                insats=disclosure.title(
                    d["title"] or d["case_title"],
                    bool(d["secrecy_provision"]),
                    d["secrecy_public_title"],
                ),
                organisation=disclosure.text(d["organisation"]),
                period=disclosure.text(period_text(fields)),
                granted=amount(fields, "granted_sek"),
                spent=amount(fields, "spent_sek"),
                signed=bool(d["submitter_signed"]),
                completion_requested=d["id"] in asked,
                case=d["case_number"],
            )
        )
    return report


def chart_png(report: BoardReport) -> bytes:
    """Granted against spent per insats, as a PNG (grouped bars, kronor in thousands)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    # Titles are plain text: "$\frac{1}{$" in an insats's name must not be read as mathtext
    # (it would raise) nor handed to LaTeX.
    with (
        matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}),
        warnings.catch_warnings(),
    ):
        # A name in a script the font lacks is drawn as boxes; the warning is no news for staff.
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        return _chart(report, plt)


def _chart(report: BoardReport, plt: Any) -> bytes:
    # Per insats: the newest report's figures (the rows are in arrival order).
    per_insats: dict[str, tuple[int, int]] = {}
    for r in report.rows:
        if r.granted is not None and r.spent is not None:
            per_insats[" ".join(xml_text(r.insats).split())] = (r.granted, r.spent)
    names = list(per_insats)
    width = max(6.0, 0.9 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(min(width, 16.0), 4.0), dpi=100)
    try:
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], [per_insats[n][0] / 1000 for n in names], 0.4,
               label="Beviljat")  # fmt: skip
        ax.bar([x + 0.2 for x in xs], [per_insats[n][1] / 1000 for n in names], 0.4,
               label="Utnyttjat")  # fmt: skip
        ax.set_xticks(list(xs))
        ax.set_xticklabels([n if len(n) <= 24 else n[:23] + "…" for n in names],
                           rotation=30, ha="right", fontsize=8)  # fmt: skip
        ax.set_ylabel("tkr")
        ax.set_title("Beviljade och utnyttjade medel per insats")
        ax.legend()
        if not names:
            ax.text(0.5, 0.5, "Inga uppgifter", ha="center", va="center", transform=ax.transAxes)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _atomic_save(path: Path, data: bytes) -> None:
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def write_docx(report: BoardReport, path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    # Ten columns need a landscape page.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.5))
    doc.add_heading(report.title, level=1)
    doc.add_paragraph(report.office)
    table = doc.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in [*(r.cells() for r in report.rows), report.total_cells()]:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    for run in (p.runs[0] for c in table.rows[-1].cells for p in c.paragraphs if p.runs):
        run.bold = True
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(8)
    doc.add_heading("Att notera", level=2)
    for notice in report.notices():
        doc.add_paragraph(notice, style="List Bullet")
    doc.add_heading("Beviljat och utnyttjat per insats", level=2)
    doc.add_picture(io.BytesIO(chart_png(report)), width=Cm(24))
    buffer = io.BytesIO()
    doc.save(buffer)
    _atomic_save(path, buffer.getvalue())


def write_html(report: BoardReport, path: Path) -> None:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r.cells()) + "</tr>" for r in report.rows
    )
    total = "".join(f"<th>{esc(c)}</th>" for c in report.total_cells())
    notices = "".join(f"<li>{esc(n)}</li>" for n in report.notices())
    chart = base64.b64encode(chart_png(report)).decode("ascii")
    page = f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<title>{esc(report.title)}</title>
<style>
body {{ font-family: sans-serif; }}
table {{ border-collapse: collapse; font-size: 0.85em; }}
th, td {{ border: 1px solid #888; padding: 0.2em 0.4em; }}
td:nth-child(n+6):nth-child(-n+8), tfoot th {{ text-align: right; }}
</style>
</head>
<body>
<h1>{esc(report.title)}</h1>
<p>{esc(report.office)}</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>{body}</tbody>
<tfoot><tr>{total}</tr></tfoot>
</table>
<h2>Att notera</h2>
<ul>{notices}</ul>
<h2>Beviljat och utnyttjat per insats</h2>
<img alt="Beviljade och utnyttjade medel per insats" src="data:image/png;base64,{chart}">
</body>
</html>
"""
    _atomic_save(path, page.encode("utf-8"))
