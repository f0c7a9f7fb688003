"""What the exports share: the document rows of a period, safe cells, Swedish words.

What may be disclosed (secrecy, personnummer) is casefile.export.disclosure.

Core queries on a plain connection, as in casefile.queries: an export reads, never writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from casefile.atomic import replacing
from casefile.atomic import temporary_sibling as temporary_sibling  # re-exported
from casefile.config import RegistrySettings
from casefile.db.schema import cases, documents, outbox
from casefile.numbering import parse_reference
from casefile.states import NAMED_KINDS, Direction, DocumentStatus, MailKind

# The exports are documents in Swedish whatever CASEFILE_LANG says: the labels' Swedish form.
DIRECTION_WORDS = {d.value: d.sv for d in Direction}
STATUS_WORDS = {d.value: d.sv for d in DocumentStatus}
KIND_WORDS = {kind.value: kind.sv.capitalize() for kind in NAMED_KINDS}


# Characters XML 1.0 (and so DOCX, XLSX and the archive's XML) cannot hold at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text a sender wrote, without the control characters XML refuses (lxml, python-docx and
    openpyxl would raise on them); every other character is kept."""
    return _NOT_XML.sub("", value)


_NUMBER_RE = re.compile(r"^[-+]?\d+([.,]\d+)?$")
# What makes a spreadsheet read a cell as a formula, also in its full-width forms.
_FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"
# Leading characters a spreadsheet may skip before it looks for a formula: whitespace (space,
# newline, tab, CR) and invisible format characters.
_LEADING = re.compile(r"^[\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad]*")


def spreadsheet_safe(value: str) -> str:
    """Text a sender wrote must not become a formula when the sheet is opened (CSV injection):
    a cell starting with = + - @ (after any leading whitespace or invisible characters) or with
    a tab or CR gets a leading apostrophe, unless it is a number."""
    if not value:
        return value
    rest = _LEADING.sub("", value, count=1)
    if value[0] in "\t\r" or (rest[:1] in tuple(_FORMULA_START) and not _NUMBER_RE.match(rest)):
        return "'" + value
    return value


# Set by the crash tests (casefile/faults.py): the process is killed at this point, with the
# output written but not yet in place.
FAULT_BEFORE_REPLACE = "export_before_replace"


def before_replace() -> None:
    """The crash tests' point: the output written but not yet in place."""
    from casefile.faults import checkpoint

    checkpoint(FAULT_BEFORE_REPLACE)


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Write a file under a temporary name and put it in place with one rename when complete
    (casefile/atomic.py): a reader, or a crash at any moment, sees the old file or the whole new
    one, never a part."""
    with replacing(path, before_replace=before_replace) as tmp:
        yield tmp


def description(row: RowMapping) -> str:
    """Beskrivning: the kind and the title of a document (its subject when it has no title)."""
    title = (row["title"] or row["subject"] or "").strip()
    kind = KIND_WORDS.get(row["kind"])
    if kind and title:
        return f"{kind}: {title}"
    return kind or title


def number_key(registry: RegistrySettings, row: RowMapping) -> tuple[int, int, int]:
    """A document's place in number order: the year, case and serial of its own number. A moved
    document keeps its number (casefile move), so the case it now sits in says nothing; a number
    the format cannot read (the format was changed) falls back to its case's."""
    parts = parse_reference(registry, row["diarienummer"])
    if parts is None or parts.doc is None:
        return (row["case_year"], row["case_serial"], row["serial"])
    return (parts.year, parts.case, parts.doc)


def period_documents(
    conn: Connection, registry: RegistrySettings, start: dt.date, end: dt.date
) -> list[RowMapping]:
    """Every document dated in [start, end], cancelled ones included, in number order (year,
    case serial, document serial of the document's own number, compared as numbers)."""
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
        .order_by(cases.c.year, cases.c.serial, documents.c.serial, documents.c.id)
    )
    rows = list(conn.execute(stmt).mappings())
    return sorted(rows, key=lambda r: number_key(registry, r))


def secret_titles(conn: Connection) -> list[tuple[str, str | None]]:
    """(real title or subject, public title) of every document marked secret: what the
    disclosure rule keeps out of every cell of a public export."""
    out: list[tuple[str, str | None]] = []
    stmt = select(documents.c.title, documents.c.subject, documents.c.secrecy_public_title).where(
        documents.c.secrecy_provision.is_not(None)
    )
    for title, subject, public in conn.execute(stmt):
        out.extend((text, public) for text in (title, subject) if text)
    return out


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
