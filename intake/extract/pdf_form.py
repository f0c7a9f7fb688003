"""The values of a fillable PDF (AcroForm): text that lives only in form fields, not on the page.

A form field's value (/V) is not drawn by the page's content stream, so the glyph reader never
sees it. We place each value as glyphs inside its widget's rectangle, wrapped to the box's width
and shrunk to fit its height, so the same cell and label logic reads it as if it were printed
there (flattening would lose long answers that scroll inside their box).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text

# A form field holds at most this much text (a hostile PDF may put megabytes in one field);
# a page's fields together at most MAX_PAGE_CHARS.
MAX_FIELD_CHARS = 20_000
MAX_PAGE_CHARS = 200_000
MAX_PARENTS = 32  # depth of the field tree we follow for inherited /V and /FT
FONT_SIZE = 10.0
MIN_SIZE = 1.0
CHAR_WIDTH = 0.5  # of the font size: about Helvetica's mean width
LEADING = 1.2
PAD = 2.0


@dataclass(frozen=True)
class Placed:
    """One character of a field's value, in page coordinates growing downwards."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


def _inherited(annot: dict[str, Any], key: str) -> Any:
    node: Any = annot
    for _ in range(MAX_PARENTS):
        if not isinstance(node, dict):
            return None
        if key in node:
            return resolve1(node[key])
        node = resolve1(node.get("Parent"))
    return None


def _name(value: Any) -> str:
    if not isinstance(value, PSLiteral):
        return ""
    name = value.name
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return decode_text(value[: MAX_FIELD_CHARS * 2])
    if isinstance(value, str):
        return value
    return ""


def field_value(annot: dict[str, Any]) -> str:
    """The value a widget shows: text and choice fields their text, a ticked box "X"."""
    kind = _name(_inherited(annot, "FT"))
    value = _inherited(annot, "V")
    if kind == "Btn":
        state = _name(resolve1(annot.get("AS"))) or _name(value)
        return "X" if state and state != "Off" else ""
    if isinstance(value, list):
        return ", ".join(t for t in (_text(resolve1(v)) for v in value) if t)
    return _text(value)[:MAX_FIELD_CHARS]


def _wrap(text: str, width: float, size: float) -> list[str]:
    per_line = max(1, int(width / (size * CHAR_WIDTH)))
    lines: list[str] = []
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for word in para.split():
            while len(word) > per_line:  # a word longer than the box: cut it
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:per_line])
                word = word[per_line:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= per_line:
                line += " " + word
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def place(text: str, box: tuple[float, float, float, float]) -> list[Placed]:
    """The characters of `text` laid out inside `box` (x0, top, x1, bottom): wrapped to its
    width, the font shrunk until every line fits its height."""
    x0, top, x1, bottom = box
    width, height = x1 - x0 - 2 * PAD, bottom - top - PAD
    if width <= 0 or height <= 0 or not text.strip():
        return []
    size = min(FONT_SIZE, height / LEADING)
    lines = _wrap(text, width, size)
    while size > MIN_SIZE and len(lines) * size * LEADING > height:
        size = max(MIN_SIZE, size * 0.9)
        lines = _wrap(text, width, size)
    out: list[Placed] = []
    advance = size * CHAR_WIDTH
    for k, line in enumerate(lines):
        y = top + PAD / 2 + k * size * LEADING
        for i, ch in enumerate(line):
            left = x0 + PAD + i * advance
            out.append(Placed(ch, left, left + advance, y, y + size, size))
    return out


@dataclass(frozen=True)
class FieldText:
    """A filled widget: its box (x0, top, x1, bottom) and its value's characters in it."""

    box: tuple[float, float, float, float]
    chars: list[Placed]


def unprinted(fields: list[FieldText], printed: list[tuple[float, float]]) -> list[Placed]:
    """The characters of the fields whose box holds no printed glyph (given by its centre):
    a form flattened with its fields left in place shows each value once, on the page."""
    out: list[Placed] = []
    for f in fields:
        x0, top, x1, bottom = f.box
        if not any(x0 <= x <= x1 and top <= y <= bottom for x, y in printed):
            out.extend(f.chars)
    return out


def page_values(annots: Any, page_height: float) -> list[FieldText]:
    """Every filled widget of one page (`annots`: the page's /Annots), placed in its box."""
    out: list[FieldText] = []
    budget = MAX_PAGE_CHARS
    items = resolve1(annots)
    if not isinstance(items, list):
        return out
    for ref in items:
        annot = resolve1(ref)
        if not isinstance(annot, dict) or _name(annot.get("Subtype")) != "Widget":
            continue
        rect = resolve1(annot.get("Rect"))
        if not isinstance(rect, list) or len(rect) != 4:
            continue
        try:
            a, b, c, d = (float(resolve1(v)) for v in rect)
        except (TypeError, ValueError):
            continue
        text = field_value(annot)[:budget]
        if not text.strip():
            continue
        budget -= len(text)
        box = (min(a, c), page_height - max(b, d), max(a, c), page_height - min(b, d))
        out.append(FieldText(box, place(text, box)))
        if budget <= 0:
            break
    return out
