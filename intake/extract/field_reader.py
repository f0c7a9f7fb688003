"""Fields read by their labels (labels.py) in every layout forms use: label and value on one
line, the value beside or below the label in a table, or under it across a page break; and
whose value it is (the applicant's or a funder's) from where it stands.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from intake.extract.form import FIELD_KEYS
from intake.extract.forms import FieldDef, FormDef
from intake.extract.headings import _MARKER_RE, HeadingAt, _top
from intake.extract.labels import (
    _Alias,
    _aliases,
    _label_rest,
    _line_site,
    _Match,
    _match_label,
    _Site,
)
from intake.extract.layout import BULLET, Cell, Layout
from intake.extract.normalize import (
    DATE_TOKEN_RE,
    clean_text,
    find_email,
    normalize_phone,
    normalize_postal_code,
    parse_amount,
    parse_date,
    parse_period,
)
from intake.extract.similarity import _WORD_RE, words


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


class _Index:
    """Cells bucketed by one edge (rounded to the tolerance) and sorted along the other axis,
    so a neighbour look-up touches only the cells near it: O(log n) rather than O(n)."""

    def __init__(self, cells: list[Cell], tol: float, edge: str, along: str, end: str) -> None:
        self.tol = max(tol, 1e-6)
        self.edge, self.along, self.end = edge, along, end
        buckets: dict[int, list[Cell]] = {}
        for c in cells:
            buckets.setdefault(self._key(getattr(c, edge)), []).append(c)
        self.buckets = {k: sorted(v, key=lambda c: getattr(c, along)) for k, v in buckets.items()}
        self.starts = {k: [getattr(c, along) for c in v] for k, v in self.buckets.items()}
        self.span = {
            k: max(getattr(c, end) - getattr(c, along) for c in v) for k, v in self.buckets.items()
        }

    def _key(self, value: float) -> int:
        return int(value // self.tol)

    def near(self, edge_value: float, lo: float, hi: float) -> Iterable[Cell]:
        """Cells whose edge is within tol of edge_value and that may overlap [lo, hi]."""
        k = self._key(edge_value)
        for key in (k - 1, k, k + 1):
            cells = self.buckets.get(key)
            if not cells:
                continue
            starts = self.starts[key]
            i = bisect.bisect_left(starts, lo - self.span[key])
            j = bisect.bisect_right(starts, hi)
            for c in cells[i:j]:
                if abs(getattr(c, self.edge) - edge_value) <= self.tol:
                    yield c


class _Grid:
    """Neighbour look-ups ("the cell to the right", "the cell below") for label cells."""

    def __init__(self, cells: list[Cell], tol: float) -> None:
        self.by_left = _Index(cells, tol, "x0", "y0", "y1")
        self.by_top = _Index(cells, tol, "y0", "x0", "x1")

    def right(self, cell: Cell) -> Cell | None:
        return self._best(
            cell,
            self.by_left.near(cell.x1, cell.y0, cell.y1),
            lambda c: _overlap(cell.y0, cell.y1, c.y0, c.y1),
            lambda c: 0.5 * min(cell.y1 - cell.y0, c.y1 - c.y0),
        )

    def below(self, cell: Cell) -> Cell | None:
        return self._best(
            cell,
            self.by_top.near(cell.y1, cell.x0, cell.x1),
            lambda c: _overlap(cell.x0, cell.x1, c.x0, c.x1),
            lambda c: 0.5 * min(cell.x1 - cell.x0, c.x1 - c.x0),
        )

    @staticmethod
    def _best(
        cell: Cell,
        near: Iterable[Cell],
        score: Callable[[Cell], float],
        need: Callable[[Cell], float],
    ) -> Cell | None:
        best: Cell | None = None
        best_score = 0.0
        for c in near:
            if c is cell:
                continue
            s = score(c)
            if s > need(c) and s > best_score:
                best, best_score = c, s
        return best


def _cell_text(cell: Cell, start: int = 0) -> str:
    return " ".join(p.removeprefix(BULLET) for p in cell.paras[start:] if p)


def _sites(layout: Layout, aliases: list[_Alias]) -> list[_Site]:
    sites: list[_Site] = []
    label_cells: dict[int, _Match] = {}
    line_cells: set[int] = set()
    for cell in layout.cells:
        if not cell.paras:
            continue
        m = _match_label(cell.paras[0], aliases)
        if m is None:
            continue
        is_label, same, colon = _label_rest(m.rest)
        if is_label and not (colon and same and len(cell.paras) > 1):
            m.rest = same
            label_cells[id(cell)] = m
        elif colon:
            line_cells.add(id(cell))
    grid = _Grid(layout.cells, layout.tol)
    for cell in layout.cells:
        m = label_cells.get(id(cell))
        if m is None:
            if id(cell) in line_cells:
                for k, text in enumerate(cell.paras):
                    site = _line_site(text, aliases, cell.y0 + k * 0.001, cell.x0)
                    if site is not None:
                        sites.append(site)
            continue
        value = " ".join(x for x in (m.rest, _cell_text(cell, 1)) if x)
        if not value:
            value = _neighbour_value(cell, grid, label_cells, layout)
        sites.append(_Site(cell.y0, cell.x0, m.aliases, value, False))
    paras = layout.paras
    for i, p in enumerate(paras):
        if p.in_cell:
            continue
        site = _line_site(p.text, aliases, p.y, p.x)
        if site is None:
            continue
        if not site.value and i + 1 < len(paras) and not paras[i + 1].in_cell:
            # "Etikett:" alone, the value on the next line (not a heading, not a label).
            nxt = paras[i + 1]
            if (
                len(nxt.text) <= 120
                and not (nxt.bold or nxt.heading or _MARKER_RE.match(nxt.text))
                and _match_label(nxt.text, aliases) is None
            ):
                site.value = nxt.text
        sites.append(site)
    sites.sort(key=lambda s: (s.y, s.x))
    return sites


def _neighbour_value(cell: Cell, grid: _Grid, labels: dict[int, _Match], layout: Layout) -> str:
    """The value slot of a label cell: the cell to the right, else the cell below (across a
    page break too). A neighbour that is itself a label is never a value: an empty labelled
    cell stays empty rather than borrowing the next label's text."""
    for direction in ("right", "below"):
        n = grid.right(cell) if direction == "right" else grid.below(cell)
        if n is None and direction == "below" and layout.page_stride is not None:
            n = _below_across_page(cell, layout.cells, layout.page_stride)
        if n is None or id(n) in labels:
            continue
        text = _cell_text(n)
        if text:
            return text
    return ""


def _below_across_page(cell: Cell, cells: list[Cell], stride: float) -> Cell | None:
    """A table split by a page break: the label row ends one page, the value row opens the
    next. Only when nothing in the label's column follows it on its own page."""
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


@dataclass
class RawFields:
    """Field values (parsed), what could not be parsed, and which fields had a label."""

    values: dict[str, Any]
    unparsed: dict[str, str]
    labelled: set[str] = field(default_factory=set)  # definition field keys with a label


def _region_of(y: float, starts: list[tuple[float, str]], ys: list[float]) -> str:
    i = bisect.bisect_right(ys, y) - 1
    return starts[i][1] if i >= 0 else "reg"


# --- whose value is it ---------------------------------------------------------------------
# Forms print the funder's own contacts (its staff, where to send the report, a support
# address). An intro that says so, and the label lines, cells and contact lines that follow it
# up to the next heading or prose, are the funder's: no submitter field is taken from them, nor
# an e-mail address at the funder's domains.

_FUNDER_INTRO_RE = re.compile(
    r"\b(?:kansli\w*|kontaktpersoner\s+(?:på|hos|vid)|vid\s+frågor|frågor\s+(?:om|kring|till)|"
    r"kontakta\s+(?:oss|förbundet|kansliet|handläggar\w*)|support|handläggare\s+(?:på|hos)|"
    r"skickas\s+(?:till|med\s+e-?post\s+till)|rapporten\s+skickas)\b",
    re.IGNORECASE,
)
_PHONE_IN_TEXT_RE = re.compile(r"(?<!\d)0\d{1,3}[-\s–]?\d{2,3}[\s-]?\d{2}[\s-]?\d{2,3}(?!\d)")


@dataclass
class Funder:
    """Where the funder's own text sits (y ranges) and its e-mail domains."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    domains: set[str] = field(default_factory=set)

    def holds(self, y: float) -> bool:
        return any(a <= y <= b for a, b in self.spans)


def _contact_like(text: str) -> bool:
    return find_email(text) is not None or _PHONE_IN_TEXT_RE.search(text) is not None


def funder_text(layout: Layout, heads: list[HeadingAt], aliases: list[_Alias]) -> Funder:
    paras = layout.paras
    head_at = {h.index for h in heads}
    out = Funder()
    i = 0
    while i < len(paras):
        p = paras[i]
        text = p.text
        listing = text.rstrip().endswith(":")  # "Kontaktpersoner på kansliet:" and a list
        if (
            p.in_cell
            or (i in head_at and not listing)
            or not _FUNDER_INTRO_RE.search(text)
            or not (text.rstrip().endswith(":") or _contact_like(text))
            or _line_site(text, aliases, p.y, p.x) is not None
        ):
            i += 1
            continue
        for m in re.finditer(r"@([\w.-]+\.\w+)", text):
            out.domains.add(m.group(1).casefold())
        end = p.y
        j = i + 1
        while j < len(paras) and j not in head_at:
            q = paras[j]
            short = len(words(q.text)) <= 4 and not q.text.endswith(".")
            if listing:
                if not (q.in_cell or short or _contact_like(q.text)):
                    break
            elif not _contact_like(q.text) or _line_site(q.text, aliases, q.y, q.x) is not None:
                break
            for m in re.finditer(r"@([\w.-]+\.\w+)", q.text):
                out.domains.add(m.group(1).casefold())
            end = q.y
            j += 1
        out.spans.append((p.y, end + 0.01))
        i = j
    return out


def _funders_value(f: FieldDef, raw: str, funder: Funder) -> bool:
    if f.kind != "email" or not funder.domains:
        return False
    email = find_email(raw)
    return email is not None and email.rsplit("@", 1)[-1].casefold() in funder.domains


def fields(layout: Layout, form: FormDef, heads: list[HeadingAt]) -> RawFields:
    """Every field of `form` found by its labels; regions only break ties between fields."""
    aliases = _aliases(form)
    values: dict[str, Any] = {k: None for k in FIELD_KEYS}
    values["partners"] = []
    unparsed: dict[str, str] = {}
    labelled: set[str] = set()
    starts = sorted(
        (layout.paras[h.index].y, _top(h.key))
        for h in heads
        if h.key and h.index < len(layout.paras)
    )
    start_ys = [y for y, _ in starts]
    chosen: dict[str, tuple[_Site, str]] = {}
    multiples: dict[str, list[str]] = {}
    funder = funder_text(layout, heads, aliases)
    for site in _sites(layout, aliases):
        if funder.holds(site.y):
            continue  # the funder's own contacts, printed on the form
        region = _region_of(site.y, starts, start_ys) if starts else ""
        inside = [a for a in site.aliases if a.field.section and _top(a.field.section) == region]
        if inside:
            pick = inside[0]
        else:
            # Outside its section only a specific label counts (or any, when the document
            # has no recognisable sections at all).
            outside = [
                a
                for a in site.aliases
                if not a.field.section or not starts or (a.specific and a.field.section != "reg")
            ]
            if not outside:
                continue
            pick = outside[0]
        f = pick.field
        raw = clean_text(site.value.replace(BULLET, " "))
        if _funders_value(f, raw, funder):
            continue
        if site.strict and raw and not _parses(f, raw):
            continue  # prose that begins with a label word
        if f.multiple:
            labelled.add(f.key)
            if raw:
                multiples.setdefault(f.key, []).append(raw)
            continue
        earlier = chosen.get(f.key)
        # The first label wins; a later one may only fill an empty value when its label is
        # specific (a generic "Telefon" further down is often someone else's number).
        if earlier is not None and not f.last and (earlier[1] or not (raw and pick.specific)):
            continue
        labelled.add(f.key)
        chosen[f.key] = (site, raw)
    for f in form.fields:
        if f.multiple:
            values[f.key] = multiples.get(f.key, [])
            continue
        got = chosen.get(f.key)
        if got is not None and got[1]:
            _store(f, got[1], values, unparsed)
    return RawFields(values, unparsed, labelled)


def _parses(f: FieldDef, raw: str) -> bool:
    """A value on a "Label: value" line: short, and of the field's kind."""
    if f.kind == "text":
        return len(raw) <= 150
    if (
        f.kind in ("date", "period", "amount")
        and len(_WORD_RE.findall(DATE_TOKEN_RE.sub(" ", raw))) > 4
    ):
        return False  # a sentence that mentions a date or an amount, not a value
    if f.kind == "period":
        p = parse_period(raw)
        return p is not None and p[0] is not None
    if f.kind == "postal_code":
        return normalize_postal_code(raw) is not None
    return _PARSERS[f.kind](raw) is not None


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


def _store(spec: FieldDef, raw: str, values: dict[str, Any], unparsed: dict[str, str]) -> None:
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
