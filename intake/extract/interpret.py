"""From a Layout to fields, sections and document type, using the form template (form.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intake.extract import form
from intake.extract.form import FIELDS, HEADINGS, FieldSpec
from intake.extract.layout import BULLET, Cell, Layout, Para
from intake.extract.normalize import (
    clean_text,
    find_email,
    fold,
    normalize_phone,
    normalize_postal_code,
    parse_amount,
    parse_date,
    parse_period,
)


def _label_regex(alias: str) -> re.Pattern[str]:
    # Word by word, any punctuation or spacing between: survives wrapping and dash variants.
    words = re.findall(r"\w+", alias)
    body = r"[\W_]*".join(re.escape(w) for w in words)
    return re.compile(r"^[\W_]*" + body + r"(?!\w)[\s:.]*", re.IGNORECASE)


@dataclass(frozen=True)
class _Alias:
    spec: FieldSpec
    words: int
    regex: re.Pattern[str]


_ALIASES: list[_Alias] = sorted(
    (
        _Alias(spec, len(re.findall(r"\w+", alias)), _label_regex(alias))
        for spec in FIELDS
        for alias in spec.aliases
    ),
    key=lambda a: -a.words,
)


@dataclass
class _LabelCell:
    cell: Cell
    spec: FieldSpec
    rest: str  # text after the label in the same cell


def _classify(cell: Cell) -> _LabelCell | None:
    """The field whose label starts this cell (longest alias wins), if any."""
    text = cell.text
    for alias in _ALIASES:
        m = alias.regex.match(text)
        if m:
            return _LabelCell(cell, alias.spec, text[m.end() :].strip())
    return None


@dataclass
class _Heading:
    key: str
    index: int  # index into layout.paras
    y: float


def _heading_regexes() -> list[tuple[form.Heading, re.Pattern[str], re.Pattern[str]]]:
    out = []
    for h in HEADINGS:
        words = re.findall(r"\w+", h.title)
        # The number plus the first words of the title (titles wrap; the rest may follow).
        head = r"[\W_]*".join(re.escape(w) for w in words[: min(3, len(words))])
        num = re.escape(h.key) + r"\.?"
        with_num = re.compile(r"^" + num + r"\s+" + head + r"(?!\w)", re.IGNORECASE)
        exact = re.compile(
            r"^" + r"[\W_]*".join(re.escape(w) for w in words) + r"[\W_]*$", re.IGNORECASE
        )
        out.append((h, with_num, exact))
    return out


_HEADING_RES = _heading_regexes()


def find_headings(paras: list[Para]) -> dict[str, _Heading]:
    """Numbered headings in form order; a heading missing from the document is skipped."""
    found: dict[str, _Heading] = {}
    start = 0
    for h, with_num, exact in _HEADING_RES:
        for i in range(start, len(paras)):
            text = paras[i].text
            if with_num.match(text) or (not paras[i].in_cell and exact.match(text)):
                found[h.key] = _Heading(h.key, i, paras[i].y)
                start = i + 1
                break
    return found


def document_type(paras: list[Para], headings: dict[str, _Heading]) -> str:
    """From the form's title: one of the first paragraphs before section 1."""
    limit = headings["1"].index if "1" in headings else min(len(paras), 12)
    for para in paras[:limit]:
        first = fold(para.text).split(" ", 1)[0].strip(".:,;–-")
        for word, kind in form.DOCUMENT_TITLES:
            if first == word:
                return kind
    return "unknown"


def _strip_fuzzy_prefix(text: str, prefix: str) -> str | None:
    """`text` without `prefix`, comparing casefolded and ignoring whitespace; None if absent."""
    want = [c for c in fold(prefix) if not c.isspace()]
    if not want:
        return text
    j = 0
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        c = fold(ch)
        if not c:
            continue
        if c[0] != want[j]:
            return None
        j += 1
        if j == len(want):
            return text[i + 1 :]
    return None


def sections(layout: Layout, headings: dict[str, _Heading]) -> dict[str, str]:
    """Text of every numbered answer; paragraphs joined by newlines, helper questions removed."""
    order = sorted(headings.values(), key=lambda h: h.index)
    out: dict[str, str] = dict.fromkeys(form.SECTION_KEYS, "")
    by_key = {h.key: h for h in HEADINGS}
    for pos, h in enumerate(order):
        if h.key not in out:
            continue
        end = order[pos + 1].index if pos + 1 < len(order) else len(layout.paras)
        text = "\n".join(p.text for p in layout.paras[h.index : end])
        spec = by_key[h.key]
        rest = _strip_fuzzy_prefix(text, f"{spec.key} {spec.title}")
        if rest is None:
            rest = text.split("\n", 1)[1] if "\n" in text else ""
        rest = rest.lstrip()
        if spec.helper:
            stripped = _strip_fuzzy_prefix(rest, spec.helper)
            rest = (rest if stripped is None else stripped).lstrip()
        out[h.key] = "\n".join(clean_text(x) for x in rest.split("\n") if clean_text(x))
    return out


def _regions(headings: dict[str, _Heading]) -> dict[str, tuple[float, float]]:
    """y ranges of the form's regions (registration box, 1, 2, 3, 8)."""
    ys = sorted((h.y, h.key) for h in headings.values())
    out: dict[str, tuple[float, float]] = {}
    for i, (y, key) in enumerate(ys):
        end = ys[i + 1][0] if i + 1 < len(ys) else float("inf")
        out[key] = (y, end)
    if "1" in headings:
        out["reg"] = (float("-inf"), headings["1"].y)
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def _neighbour(cell: Cell, cells: list[Cell], tol: float, direction: str) -> Cell | None:
    best: Cell | None = None
    best_score = 0.0
    for c in cells:
        if c is cell:
            continue
        if direction == "right":
            if abs(c.x0 - cell.x1) > tol:
                continue
            score = _overlap(cell.y0, cell.y1, c.y0, c.y1)
            need = 0.5 * min(cell.y1 - cell.y0, c.y1 - c.y0)
        else:
            if abs(c.y0 - cell.y1) > tol:
                continue
            score = _overlap(cell.x0, cell.x1, c.x0, c.x1)
            need = 0.5 * min(cell.x1 - cell.x0, c.x1 - c.x0)
        if score > need and score > best_score:
            best, best_score = c, score
    return best


def _below_across_page(cell: Cell, cells: list[Cell], stride: float) -> Cell | None:
    """A table split by a page break: the label row ends one page, the value row opens the next.

    Only when nothing in the label's column follows it on its own page, and we take the first
    cell in that column on the next page.
    """
    page = int(cell.y0 // stride)
    same_col = [
        c
        for c in cells
        if c is not cell and _overlap(cell.x0, cell.x1, c.x0, c.x1) > 0.5 * (cell.x1 - cell.x0)
    ]
    if any(int(c.y0 // stride) == page and c.y0 >= cell.y1 for c in same_col):
        return None
    nxt = [c for c in same_col if int(c.y0 // stride) == page + 1]
    return min(nxt, key=lambda c: c.y0) if nxt else None


def _value(
    lc: _LabelCell,
    cells: list[Cell],
    labels: dict[int, _LabelCell],
    tol: float,
    stride: float | None = None,
) -> str:
    """The label's value: in its own cell, else the cell to the right, else the cell below."""
    if lc.rest:
        return lc.rest
    for direction in ("right", "below"):
        n = _neighbour(lc.cell, cells, tol, direction)
        if n is None and direction == "below" and stride is not None:
            n = _below_across_page(lc.cell, cells, stride)
        if n is None or id(n) in labels:
            continue
        if n.text.strip():
            return n.text
    return ""


@dataclass
class RawFields:
    """Field values as text (before parsing), with what could not be parsed."""

    values: dict[str, Any]
    unparsed: dict[str, str]


def fields(layout: Layout, headings: dict[str, _Heading]) -> RawFields:
    regions = _regions(headings)
    labels: dict[int, _LabelCell] = {}
    for cell in layout.cells:
        lc = _classify(cell)
        if lc is not None:
            labels[id(cell)] = lc
    values: dict[str, Any] = {k: None for k in form.FIELD_KEYS}
    values["partners"] = []
    unparsed: dict[str, str] = {}
    ordered = sorted(labels.values(), key=lambda lc: (lc.cell.y0, lc.cell.x0))
    for lc in ordered:
        spec = lc.spec
        region = regions.get(spec.region)
        if region is None or not (region[0] <= lc.cell.y0 < region[1]):
            continue
        raw = clean_text(
            _value(lc, layout.cells, labels, layout.tol, layout.page_stride).replace(BULLET, " ")
        )
        if spec.key == "partners":
            if raw:
                values["partners"].append(raw)
            continue
        if spec.key == "period":
            if values["period_start"] is not None or values["period_end"] is not None:
                continue
        elif values.get(spec.key) is not None or spec.key in unparsed:
            continue  # the first label in the region wins
        if not raw:
            continue
        _store(spec, raw, values, unparsed)
    return RawFields(values, unparsed)


def _iso_date(raw: str) -> str | None:
    d = parse_date(raw)
    return d.isoformat() if d is not None else None


# Field kinds whose raw text is parsed; text that does not parse is kept as unreadable.
_PARSERS: dict[str, Callable[[str], object | None]] = {
    "date": _iso_date,
    "amount": parse_amount,
    "phone": normalize_phone,
    "email": find_email,
}


def _store(spec: FieldSpec, raw: str, values: dict[str, Any], unparsed: dict[str, str]) -> None:
    kind = spec.kind
    if kind == "text":
        values[spec.key] = raw
    elif kind in _PARSERS:
        parsed = _PARSERS[kind](raw)
        if parsed is None:
            unparsed[spec.key] = raw
        else:
            values[spec.key] = parsed
    elif kind == "period":
        period = parse_period(raw)
        if period is None or period[0] is None or period[1] is None:
            unparsed["period_start"] = raw
        else:
            values["period_start"] = period[0].isoformat()
            values["period_end"] = period[1].isoformat()
    elif kind == "postal_code":
        code = normalize_postal_code(raw)
        values[spec.key] = code if code is not None else raw
