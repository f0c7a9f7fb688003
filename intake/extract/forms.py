"""Form definitions as data: TOML files (config/forms/) naming a form's title words, fields
(labels with synonyms, kind, required) and sections (numbers, titles, helper texts).

The shipped definitions live in intake/extract/forms/ (copies of config/forms/, so a wheel has
them); `[extraction] forms = [...]` in the configuration adds more. A definition is validated
when loaded and every mistake is reported on its own line, naming the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from intake.extract.form import FIELD_KEYS
from intake.extract.model import DOCUMENT_TYPES

KINDS = ("text", "date", "period", "amount", "phone", "email", "postal_code")
BUILTIN = ("slutrapport", "lagesrapport", "generic")
# A section number: 4, 4.1, 7.1.1, A, B.2 (a marker's trailing dot or parenthesis is not part).
NUMBER_RE = re.compile(r"^(?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3}$")
_FIELD_KEYS = frozenset(FIELD_KEYS) - {"period_start", "period_end"} | {"period"}


class FormError(Exception):
    """One or more mistakes in form definitions; `lines` has one line per mistake."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class FieldDef:
    key: str  # an output field key, or "period" (start and end)
    labels: tuple[str, ...]
    kind: str = "text"
    required: bool = False
    section: str = ""  # the section the label belongs under; "reg" = before the first section
    multiple: bool = False  # every labelled value is kept (a list)
    last: bool = False  # the last label in the document wins (signatures at the end)


@dataclass(frozen=True)
class SectionDef:
    number: str
    title: str
    synonyms: tuple[str, ...] = ()
    helper: str = ""
    answer: bool = True  # holds a free-text answer (not just a group heading)
    other_helpers: tuple[str, ...] = ()  # the helper as other versions of the form word it

    @property
    def helpers(self) -> tuple[str, ...]:
        return tuple(h for h in (self.helper, *self.other_helpers) if h)


@dataclass(frozen=True)
class FormDef:
    name: str
    description: str
    document_type: str
    title_words: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    sections: tuple[SectionDef, ...]
    generic: bool = False
    document_types: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def answer_keys(self) -> tuple[str, ...]:
        return tuple(s.number for s in self.sections if s.answer)

    @property
    def lettered(self) -> bool:
        return any(s.number[0].isalpha() for s in self.sections)

    def section(self, number: str) -> SectionDef | None:
        for s in self.sections:
            if s.number == number:
                return s
        return None


_TOP = {
    "name",
    "description",
    "document_type",
    "title_words",
    "generic",
    "document_types",
    "fields",
    "sections",
}
_FIELD = {"key", "labels", "kind", "required", "section", "multiple", "last"}
_SECTION = {"number", "title", "synonyms", "helper", "answer"}


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []

    def err(self, where: str, problem: str) -> None:
        self.errors.append(f"{self.source}: {where}: {problem}")

    def string(self, data: dict[str, Any], key: str, where: str, default: str | None) -> str:
        value = data.get(key, default)
        if value is None:
            self.err(f"{where}{key}", "saknas")
            return ""
        if not isinstance(value, str):
            self.err(f"{where}{key}", "ska vara text")
            return ""
        return value

    def strings(self, data: dict[str, Any], key: str, where: str, need: bool) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.err(f"{where}{key}", "ska vara en lista med text")
            return ()
        if need and not value:
            self.err(f"{where}{key}", "får inte vara tom")
        return tuple(value)

    def flag(self, data: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.err(f"{where}{key}", "ska vara true eller false")
            return default
        return value

    def unknown(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(data) - allowed):
            self.err(f"{where}{key}", "okänd nyckel")

    def tables(self, data: dict[str, Any], key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The tables of an array of tables ([[key]]), each with its place ("key[i].") for
        messages; anything else is an error, and skipped."""
        raw = data.get(key, [])
        if not isinstance(raw, list):
            self.err(key, f"ska vara en lista av tabeller ([[{key}]])")
            return
        for i, table in enumerate(raw):
            if isinstance(table, dict):
                yield f"{key}[{i}].", table
            else:
                self.err(f"{key}[{i}]", "ska vara en tabell")


def parse_form(data: dict[str, Any], source: str) -> FormDef:
    """A validated definition from parsed TOML; raises FormError listing every mistake."""
    c = _Checker(source)
    c.unknown(data, _TOP, "")
    name = c.string(data, "name", "", None)
    dtype = c.string(data, "document_type", "", "unknown")
    if dtype and dtype not in DOCUMENT_TYPES:
        c.err(
            "document_type", f"okänd dokumenttyp {dtype!r} (tillåtna: {', '.join(DOCUMENT_TYPES)})"
        )
    sections: list[SectionDef] = []
    for where, s in c.tables(data, "sections"):
        c.unknown(s, _SECTION, where)
        number = c.string(s, "number", where, None)
        if number and not NUMBER_RE.match(number):
            c.err(f"{where}number", f"{number!r} är inget avsnittsnummer (som 4, 4.1, A, B.2)")
        if number and any(x.number == number for x in sections):
            c.err(f"{where}number", f"avsnitt {number} finns redan")
        # `helper`: one text, or a list (the form's versions word it differently).
        raw_helper = s.get("helper", "")
        helpers = (
            c.strings(s, "helper", where, False)
            if isinstance(raw_helper, list)
            else (c.string(s, "helper", where, ""),)
        )
        sections.append(
            SectionDef(
                number,
                c.string(s, "title", where, None),
                c.strings(s, "synonyms", where, False),
                helpers[0] if helpers else "",
                c.flag(s, "answer", where, True),
                tuple(helpers[1:]),
            )
        )
    numbers = {s.number for s in sections}
    fields: list[FieldDef] = []
    for where, f in c.tables(data, "fields"):
        c.unknown(f, _FIELD, where)
        key = c.string(f, "key", where, None)
        if key and key not in _FIELD_KEYS:
            c.err(f"{where}key", f"okänt fält {key!r} (tillåtna: {', '.join(sorted(_FIELD_KEYS))})")
        if key and any(x.key == key for x in fields):
            c.err(f"{where}key", f"fältet {key} finns redan")
        kind = c.string(f, "kind", where, "text")
        if kind not in KINDS:
            c.err(f"{where}kind", f"okänd typ {kind!r} (tillåtna: {', '.join(KINDS)})")
        section = c.string(f, "section", where, "")
        if section and section != "reg" and section not in numbers:
            c.err(f"{where}section", f"avsnitt {section!r} finns inte bland sections")
        fields.append(
            FieldDef(
                key,
                c.strings(f, "labels", where, True),
                kind,
                c.flag(f, "required", where, False),
                section,
                c.flag(f, "multiple", where, False),
                c.flag(f, "last", where, False),
            )
        )
    types: dict[str, tuple[str, ...]] = {}
    raw_types = data.get("document_types", {})
    if not isinstance(raw_types, dict):
        c.err("document_types", "ska vara en tabell")
        raw_types = {}
    for t in raw_types:
        if t not in DOCUMENT_TYPES:
            c.err(f"document_types.{t}", "okänd dokumenttyp")
        types[t] = c.strings(raw_types, t, "document_types.", True)
    if not fields and not sections:
        c.err("fields", "en definition behöver fält eller avsnitt")
    if c.errors:
        raise FormError(c.errors)
    return FormDef(
        name=name,
        description=c.string(data, "description", "", name),
        document_type=dtype,
        title_words=c.strings(data, "title_words", "", False),
        fields=tuple(fields),
        sections=tuple(sections),
        generic=c.flag(data, "generic", "", False),
        document_types=types,
    )


def load_form(path: str | Path) -> FormDef:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormError([f"{p}: kan inte läsas ({exc.strerror})"]) from exc
    return _loads(text, str(p))


def _loads(text: str, source: str) -> FormDef:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormError([f"{source}: ogiltig TOML ({exc})"]) from exc
    return parse_form(data, source)


@cache
def builtin(name: str) -> FormDef:
    """A shipped definition, read from the package (beside this module: the package is
    installed as files, and importlib.resources would cost every start its imports)."""
    node = Path(__file__).with_name("forms") / f"{name}.toml"
    return _loads(node.read_text(encoding="utf-8"), f"forms/{name}.toml")


def default_form() -> FormDef:
    return builtin("slutrapport")


def generic_form() -> FormDef:
    return builtin("generic")


def load_forms(extra: tuple[str, ...] = ()) -> tuple[FormDef, ...]:
    """The shipped definitions plus `extra` files; every file's mistakes in one FormError."""
    forms = [builtin(n) for n in BUILTIN]
    errors: list[str] = []
    for path in extra:
        try:
            forms.append(load_form(path))
        except FormError as exc:
            errors.extend(exc.lines)
    if errors:
        raise FormError(errors)
    return tuple(forms)
