"""Diarienummer: formatting and parsing (pure), and race-free allocation of serials.

A serial comes from a counter row incremented with INSERT ... ON CONFLICT DO UPDATE ... RETURNING
inside the registering transaction: PostgreSQL holds the row lock until commit, SQLite holds its
write lock (BEGIN IMMEDIATE), so concurrent registrations queue. A rolled-back registration also
rolls back its counter, so series stay gapless.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Integer, column, literal_column, table

from casefile.config import RegistrySettings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_counters = table("counters", column("name"), column("value", Integer))


@dataclass(frozen=True)
class NumberParts:
    year: int
    case: int
    doc: int | None = None


def _fields(settings: RegistrySettings, year: int, case: int, doc: int | None) -> dict[str, object]:
    return {
        "prefix": settings.prefix,
        "yy": f"{year % 100:02d}",
        "yyyy": f"{year:04d}",
        "case": case,
        "doc": doc if doc is not None else 0,
    }


def case_number(settings: RegistrySettings, year: int, case: int) -> str:
    return settings.case_format.format(**_fields(settings, year, case, None))


def document_number(settings: RegistrySettings, year: int, case: int, doc: int) -> str:
    return settings.number_format.format(**_fields(settings, year, case, doc))


def _pattern(fmt: str, settings: RegistrySettings) -> str:
    """Turn a format like '{prefix} {yy}-{case:02d}' into a regex with named groups."""
    out: list[str] = []
    for literal, name, _spec, _conv in _formatter_parse(fmt):
        out.append(re.escape(literal).replace(r"\ ", r"\s*"))
        if name is None:
            continue
        if name == "prefix":
            out.append(re.escape(settings.prefix))
        elif name == "yy":
            out.append(r"(?P<yy>\d{2})")
        elif name == "yyyy":
            out.append(r"(?P<yyyy>\d{4})")
        elif name in ("case", "doc"):
            out.append(rf"(?P<{name}>\d{{1,6}})")
        else:
            raise ValueError(f"unknown field {{{name}}} in number format")
    return "".join(out)


def _formatter_parse(fmt: str) -> list[tuple[str, str | None, str | None, str | None]]:
    return list(string.Formatter().parse(fmt))


def _year_of(match: re.Match[str]) -> int:
    groups = match.groupdict()
    if groups.get("yyyy"):
        return int(groups["yyyy"])
    return 2000 + int(groups["yy"])


def parse_reference(settings: RegistrySettings, text: str) -> NumberParts | None:
    """Parse a full case or document reference (the whole string); None if it is neither."""
    text = text.strip()
    doc_re = re.compile(_pattern(settings.number_format, settings) + r"$", re.IGNORECASE)
    if m := doc_re.match(text):
        return NumberParts(_year_of(m), int(m.group("case")), int(m.group("doc")))
    case_re = re.compile(_pattern(settings.case_format, settings) + r"$", re.IGNORECASE)
    if m := case_re.match(text):
        return NumberParts(_year_of(m), int(m.group("case")))
    return None


def find_references(settings: RegistrySettings, text: str) -> list[NumberParts]:
    """Every case reference named anywhere in a text (a subject line, a form box)."""
    case_re = re.compile(r"(?<![\w])" + _pattern(settings.case_format, settings), re.IGNORECASE)
    return [NumberParts(_year_of(m), int(m.group("case"))) for m in case_re.finditer(text)]


def next_serial(session: Session, name: str) -> int:
    """Increment the named counter and return its new value, in the caller's transaction."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(_counters).values(name=name, value=1)
    stmt = upsert.on_conflict_do_update(
        index_elements=["name"], set_={"value": literal_column("counters.value") + 1}
    ).returning(_counters.c.value)
    value = session.execute(stmt).scalar_one()
    return int(value)
