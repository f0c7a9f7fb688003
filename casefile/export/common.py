"""What the exports share: personnummer masking, the document rows of a period, Swedish words.

Core queries on a plain connection, as in casefile.queries: an export reads, never writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from casefile.db.schema import cases, documents, outbox
from casefile.states import Direction, DocumentStatus, MailKind

# A personnummer or samordningsnummer: YYMMDD or YYYYMMDD, an optional separator (- or +, the
# latter for people over 100), then four digits. Digits next to it must not be part of a longer
# number (an amount, an order number).
_PNR_RE = re.compile(r"(?<![\d])((?:19|20)?\d{2})(\d{2})(\d{2})\s?([-+]?)\s?(\d{4})(?![\d])")
PNR_MASK = "[personnummer]"

# The exports are documents in Swedish whatever CASEFILE_LANG says: the labels' Swedish form.
DIRECTION_WORDS = {d.value: d.sv for d in Direction}
STATUS_WORDS = {d.value: d.sv for d in DocumentStatus}
# The documents the board list and the follow-up sheet count as reports on an insats.
REPORT_KINDS = ("slutrapport", "delrapport")
KIND_WORDS = {
    "slutrapport": "Slutrapport",
    "delrapport": "Delrapport",
    "ansokan": "Ansökan",
}


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a Swedish identity number, over its last ten digits."""
    total = 0
    for i, ch in enumerate(digits[-10:]):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _plausible_date(month: str, day: str) -> bool:
    m, d = int(month), int(day)
    # Samordningsnummer add 60 to the day.
    return 1 <= m <= 12 and (1 <= d <= 31 or 61 <= d <= 91)


def mask_personnummer(text: str) -> str:
    """Replace every text that looks like a personnummer (right shape, a date, the Luhn check)."""

    def repl(m: re.Match[str]) -> str:
        year, month, day, _sep, tail = m.groups()
        if not _plausible_date(month, day) or not luhn_ok(year[-2:] + month + day + tail):
            return m.group(0)
        return PNR_MASK

    return _PNR_RE.sub(repl, text)


def has_personnummer(text: str) -> bool:
    return mask_personnummer(text) != text


# Characters XML 1.0 (and so DOCX, XLSX and the archive's XML) cannot hold at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text a sender wrote, without the control characters XML refuses (lxml, python-docx and
    openpyxl would raise on them); every other character is kept."""
    return _NOT_XML.sub("", value)


_NUMBER_RE = re.compile(r"^[-+]?\d+([.,]\d+)?$")


def spreadsheet_safe(value: str) -> str:
    """Text a sender wrote must not become a formula when the sheet is opened (CSV injection):
    a cell starting with = + - @ or a tab/CR gets a leading apostrophe, unless it is a number."""
    if value and value[0] in "=+-@\t\r" and not _NUMBER_RE.match(value):
        return "'" + value
    return value


def description(row: RowMapping) -> str:
    """Beskrivning: the kind and the title of a document (its subject when it has no title)."""
    title = (row["title"] or row["subject"] or "").strip()
    kind = KIND_WORDS.get(row["kind"])
    if kind and title:
        return f"{kind}: {title}"
    return kind or title


def period_documents(conn: Connection, start: dt.date, end: dt.date) -> Iterator[RowMapping]:
    """Every document dated in [start, end], cancelled ones included, in number order (case year,
    case serial, document serial), streamed: a year's diary need not sit in memory."""
    stmt = (
        select(
            documents,
            cases.c.number.label("case_number"),
            cases.c.year.label("case_year"),
            cases.c.serial.label("case_serial"),
            cases.c.organisation.label("case_organisation"),
        )
        .join(cases, documents.c.case_id == cases.c.id)
        .where(documents.c.received_date >= start, documents.c.received_date <= end)
        .order_by(cases.c.year, cases.c.serial, documents.c.serial)
    )
    result = conn.execute(stmt.execution_options(yield_per=500)).mappings()
    yield from result


def completion_requested(conn: Connection, document_ids: list[int]) -> set[int]:
    """The documents for which a request to complete them (komplettering) was queued."""
    if not document_ids:
        return set()
    rows = conn.execute(
        select(outbox.c.document_id)
        .where(outbox.c.kind == MailKind.KOMPLETTERING, outbox.c.document_id.in_(document_ids))
        .distinct()
    )
    return {r[0] for r in rows}


def amount(fields: dict[str, Any], key: str) -> int | None:
    """A whole-krona figure from a report's fields, or None when missing or unreadable."""
    value = fields.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    return None


def sek(value: int | None) -> str:
    """Kronor the Swedish way: a space between thousands, no decimals; empty when unknown."""
    if value is None:
        return ""
    return f"{value:,}".replace(",", "\u00a0")


def period_text(fields: dict[str, Any]) -> str:
    start, end = fields.get("period_start") or "", fields.get("period_end") or ""
    return f"{start}–{end}" if start or end else ""
