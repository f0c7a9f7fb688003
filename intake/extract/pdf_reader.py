"""PDF to Layout using pdfminer.six: one interpretation pass, no pdfminer layout analysis.

We take the raw glyph boxes and the ruling lines of each page and do our own grouping:
each glyph is placed in the table cell its enclosing borders define, so the two columns of a
form row never mix, whatever order the PDF's content stream uses.

Only the first `layout_pages` pages are laid out so: the form ends long before that. The pages
after it (appendices, a thesis: 117 pages took 27 s, near the parse time limit) are read as
plain text, line by line in the content stream's order, without a box per glyph, and follow as
paragraphs in `Layout.appendix`, kept with the report's sections for search.

One format, kept whole: reading a PDF (glyphs, ruling lines, cells, paragraphs, the plain-text
tail) is one pass over pdfminer's objects, and the OCR reader reuses its grouping.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTContainer, LTCurve, LTPage
from pdfminer.pdfcolor import PDFColorSpace
from pdfminer.pdfdevice import PDFDevice, PDFTextSeq
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdffont import PDFUnicodeNotDefined
from pdfminer.pdfinterp import (
    PDFGraphicState,
    PDFPageInterpreter,
    PDFResourceManager,
    PDFTextState,
)
from pdfminer.pdfpage import PDFPage
from pdfminer.utils import mult_matrix

from intake.extract import pdf_form
from intake.extract.layout import BULLET, Cell, Layout, Para
from intake.extract.normalize import clean_text

PAGE_STRIDE = 100_000.0  # global y = page index * stride + y from the top of the page
RULE_MAX = 2.0  # a drawn shape thinner than this is a ruling line
BULLET_GLYPHS = frozenset("\uf0b7\uf0a7\uf076\uf0d8\uf0fc•◦▪▫●○■□‣⁃∙·")


@dataclass
class Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    font: str = ""

    @property
    def is_space(self) -> bool:
        return not self.text.strip()


@dataclass
class Line:
    """A run of glyphs on one baseline inside one cell (or in the body)."""

    page: int
    glyphs: list[Glyph]
    cell: tuple[float, float, float, float] | None
    text: str = ""
    x0: float = 0.0
    x1: float = 0.0  # right end of the last visible glyph
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0
    trailing_space: bool = False
    first_word: float = 0.0  # width of the first word, for the wrap test
    bullet: bool = False
    bold: bool = False  # most glyphs in a bold / italic font (by the font's name)
    italic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _walk(
    items: Iterable[Any],
    chars: list[Glyph],
    hs: list[tuple[float, float, float]],
    vs: list[tuple[float, float, float]],
    height: float,
) -> None:
    for item in items:
        if isinstance(item, LTChar):
            chars.append(
                Glyph(
                    item.get_text(),
                    item.x0,
                    item.x1,
                    height - item.y1,
                    height - item.y0,
                    item.size,
                    item.fontname,
                )
            )
        elif isinstance(item, LTCurve):  # LTLine and LTRect are curves too
            x0, y0, x1, y1 = item.bbox
            top, bottom = height - y1, height - y0
            if bottom - top <= RULE_MAX and x1 - x0 > RULE_MAX:
                hs.append(((top + bottom) / 2, x0, x1))
            elif x1 - x0 <= RULE_MAX and bottom - top > RULE_MAX:
                vs.append(((x0 + x1) / 2, top, bottom))
            elif x1 - x0 > RULE_MAX and bottom - top > RULE_MAX and len(item.pts) in (4, 5):
                # A rectangle: its edges can be cell borders (shaded or boxed cells).
                hs.extend(((top, x0, x1), (bottom, x0, x1)))
                vs.extend(((x0, top, bottom), (x1, top, bottom)))
        elif isinstance(item, LTContainer):
            _walk(item, chars, hs, vs, height)


def _merge_marks(chars: list[Glyph]) -> list[Glyph]:
    """Attach combining marks to the glyph before them (stream order), before any sorting."""
    out: list[Glyph] = []
    for g in chars:
        if out and g.text and all(unicodedata.combining(c) for c in g.text):
            prev = out[-1]
            prev.text = unicodedata.normalize("NFC", prev.text + g.text)
            continue
        out.append(g)
    return out


def _rows(chars: list[Glyph]) -> Iterator[list[Glyph]]:
    """Group glyphs into baseline rows (by vertical centre)."""
    chars = sorted(chars, key=lambda g: (g.top + g.bottom) / 2)
    row: list[Glyph] = []
    centre = 0.0
    for g in chars:
        c = (g.top + g.bottom) / 2
        if row and abs(c - centre) > max(1.5, 0.35 * g.size):
            yield row
            row = []
        if not row:
            centre = c
        row.append(g)
    if row:
        yield row


def _cell_of(
    x: float,
    y: float,
    hs_sorted: list[tuple[float, float, float]],
    vx: list[float],
    vs_sorted: list[tuple[float, float, float]],
) -> tuple[float, float, float, float] | None:
    """The box formed by the nearest borders around (x, y), or None outside any table."""
    left = right = top = bottom = None
    i = bisect.bisect_left(vx, x)
    for j in range(i - 1, -1, -1):
        vxj, t, b = vs_sorted[j]
        if t - 1 <= y <= b + 1:
            left = vxj
            break
    if left is None:
        return None
    for j in range(i, len(vs_sorted)):
        vxj, t, b = vs_sorted[j]
        if t - 1 <= y <= b + 1:
            right = vxj
            break
    if right is None:
        return None
    for hy, x0, x1 in hs_sorted:
        if x0 - 1 <= x <= x1 + 1:
            if hy <= y:
                top = hy
            elif bottom is None:
                bottom = hy
                break
    if top is None or bottom is None:
        return None
    return (round(left, 1), round(top, 1), round(right, 1), round(bottom, 1))


def _make_line(
    page: int, glyphs: list[Glyph], cell: tuple[float, float, float, float] | None
) -> Line | None:
    glyphs.sort(key=lambda g: g.x0)
    parts: list[str] = []
    prev: Glyph | None = None
    visible = [g for g in glyphs if not g.is_space]
    if not visible:
        return None
    first_word_end: float | None = None
    for g in glyphs:
        if prev is not None and not g.is_space and not prev.is_space:
            gap = g.x0 - prev.x1
            if gap > 0.15 * max(g.size, 1.0):
                parts.append(" ")
                if first_word_end is None:
                    first_word_end = prev.x1
        if g.is_space:
            if first_word_end is None and prev is not None:
                first_word_end = prev.x1
            parts.append(" ")
        else:
            parts.append(g.text)
        prev = g
    text = clean_text("".join(parts))
    if not text:
        return None
    line = Line(page, glyphs, cell)
    line.x0 = visible[0].x0
    line.x1 = visible[-1].x1
    line.top = min(g.top for g in visible)
    line.bottom = max(g.bottom for g in visible)
    line.size = Counter(round(g.size, 1) for g in visible).most_common(1)[0][0]
    line.trailing_space = glyphs[-1].is_space
    fonts = [g.font.casefold() for g in visible]
    line.bold = sum("bold" in f or "black" in f for f in fonts) * 2 > len(fonts)
    line.italic = sum("italic" in f or "oblique" in f for f in fonts) * 2 > len(fonts)
    lead = fonts[0]
    if (
        not line.bold
        and ("bold" in lead or "black" in lead)
        and "italic" not in lead
        and any(
            ("italic" in f or "oblique" in f or g.size < visible[0].size - 0.5) and "bold" not in f
            for f, g in zip(fonts, visible, strict=True)
        )
    ):
        # A bold heading with its helper question after it on the same line (smaller,
        # italic): the line looks like its heading.
        line.bold, line.italic, line.size = True, False, round(visible[0].size, 1)
    line.first_word = (first_word_end if first_word_end is not None else line.x1) - line.x0
    if text[0] in BULLET_GLYPHS and (len(text) == 1 or text[1] == " "):
        line.bullet = True
        text = text[1:].strip()
        # The wrap test looks at the first real word, after the bullet and its indent.
        rest = [g for g in visible[1:]]
        if rest:
            line.first_word = min(line.first_word, rest[-1].x1 - rest[0].x0)
    line.text = text
    return line


def _page_lines(
    page_no: int, ltpage: LTPage, values: list[pdf_form.FieldText] | None = None
) -> list[Line]:
    height = ltpage.height
    chars: list[Glyph] = []
    hs: list[tuple[float, float, float]] = []
    vs: list[tuple[float, float, float]] = []
    _walk(ltpage, chars, hs, vs, height)
    if values:  # a fillable form's values, placed in their widgets' boxes (pdf_form.py)
        printed = [((g.x0 + g.x1) / 2, (g.top + g.bottom) / 2) for g in chars]
        for v in pdf_form.unprinted(values, printed):
            chars.append(Glyph(v.text, v.x0, v.x1, v.top, v.bottom, v.size))
    return lines_of(page_no, _merge_marks(chars), hs, vs)


def lines_of(
    page_no: int,
    chars: list[Glyph],
    hs: list[tuple[float, float, float]],
    vs: list[tuple[float, float, float]],
) -> list[Line]:
    """A page's lines from its glyphs and its ruling lines (horizontal (y, x0, x1), vertical
    (x, top, bottom)); OCR (ocr.py) gives words as glyphs and the rules found in the image."""
    hs.sort()
    vs.sort()
    vx = [v[0] for v in vs]
    lines: list[Line] = []
    rows = list(_rows(chars))
    for row in rows:
        row.sort(key=lambda g: g.x0)
    gutter = _gutter(rows, vs)
    for row in rows:
        centre = sum((g.top + g.bottom) / 2 for g in row) / len(row)
        # Split the row where a vertical border crosses it.
        cuts = sorted(x for x, t, b in vs if t - 1 <= centre <= b + 1)
        split = not cuts and gutter is not None and _splits(row, gutter)
        if split:
            assert gutter is not None
            cuts = [gutter[0] - 0.5 * gutter[1]]
        groups: dict[int, list[Glyph]] = defaultdict(list)
        for g in row:
            groups[bisect.bisect_left(cuts, (g.x0 + g.x1) / 2)].append(g)
        for glyphs in groups.values():
            cx = (glyphs[0].x0 + glyphs[-1].x1) / 2
            cell = _cell_of(cx, centre, hs, vx, vs) if cuts else None
            line = _make_line(page_no, glyphs, cell)
            if line is not None:
                if split:
                    line.extra["split"] = True
                lines.append(line)
    if gutter is not None:
        _order_columns(lines, gutter)
    return lines


# --- columns ----------------------------------------------------------------------------
# A page set in two columns (by a designer, or a printer driver): glyphs of the left and the
# right column share baselines. The right column's line starts line up at one x (a cluster),
# with a whitespace gutter before it in row after row, and the left column's lines run up to
# that gutter (text, not short labels). Such rows are cut at the gutter and the lines of the
# two-column band are read column by column.


def _gaps(row: list[Glyph]) -> Iterator[tuple[float, float]]:
    visible = [g for g in row if not g.is_space]
    for a, b in itertools.pairwise(visible):
        if b.x0 - a.x1 > 1.5 * max(a.size, b.size, 1.0):
            yield a.x1, b.x0


def _gutter(
    rows: list[list[Glyph]], vs: list[tuple[float, float, float]]
) -> tuple[float, float] | None:
    """(x where the right column starts, the gutter's width), or None for one column."""
    spans = [(t - 1, b + 1) for _x, t, b in vs]

    def in_table(row: list[Glyph]) -> bool:
        c = (row[0].top + row[0].bottom) / 2
        return any(t <= c <= b for t, b in spans)

    rows = [row for row in rows if not in_table(row)]  # table cells are columns already
    if len(rows) < 8:
        return None
    visible = [g for row in rows for g in row if not g.is_space]
    if not visible:
        return None
    left, right = min(g.x0 for g in visible), max(g.x1 for g in visible)
    width = right - left
    starts: Counter[int] = Counter()  # line starts in the middle of the page
    for row in rows:
        first = next((g.x0 for g in row if not g.is_space), left)
        for x0 in (first, *(x0 for _x1, x0 in _gaps(row))):
            if left + 0.3 * width < x0 < left + 0.7 * width:
                starts[round(x0)] += 1
    if not starts:
        return None
    x, _n = max(starts.items(), key=lambda kv: (kv[1], -kv[0]))
    count = sum(n for k, n in starts.items() if abs(k - x) <= 1.5)
    if count < 4:
        return None
    # The lines left of it run up to a gutter (justified or wrapped text), and no line crosses
    # it beside the right column's lines.
    ends: list[float] = []
    band: list[float] = []  # the rows with right-column text (their centres)
    across: list[float] = []
    for row in rows:
        vis = [g for g in row if not g.is_space]
        if not vis:
            continue
        centre = (vis[0].top + vis[0].bottom) / 2
        if vis[0].x0 >= x - 1.5:
            if vis[0].x0 <= x + 0.25 * width:
                band.append(centre)
            continue
        cut = [x1 for x1, x0 in _gaps(row) if x0 >= x - 1.5]
        if cut:
            band.append(centre)
            ends.append(max(cut))
        elif vis[-1].x1 > x - 1.5:
            across.append(centre)
        else:
            ends.append(vis[-1].x1)
    if len(ends) < 4 or not band or any(min(band) <= c <= max(band) for c in across):
        return None  # a line across the gutter inside the band: one column
    gap = x - max(ends)
    full = sum(1 for e in ends if e >= x - gap - 0.25 * (x - left))
    if full * 2 < len(ends) or gap > 0.2 * width:
        return None
    return float(x), gap


def _splits(row: list[Glyph], gutter: tuple[float, float]) -> bool:
    """The row has whitespace across the gutter (a right-column line, maybe indented)."""
    x, gap = gutter
    return any(x1 <= x - 0.5 * gap and x0 >= x - 1.5 for x1, x0 in _gaps(row))


def _order_columns(lines: list[Line], gutter: tuple[float, float]) -> None:
    """Read the two-column band column by column: its lines get a reading-order y (extra["y"])
    and the right edge of their column (extra["right"])."""
    x, gap = gutter
    body = [ln for ln in lines if ln.cell is None]
    right = [ln for ln in body if abs(ln.x0 - x) <= 1.5]
    if len(right) < 4:
        return
    marked = right + [ln for ln in body if ln.extra.get("split")]
    top = min(ln.top for ln in marked)
    bottom = max(ln.bottom for ln in marked)
    band = [ln for ln in body if top - 1 <= ln.top <= bottom]
    lefts = sorted((ln for ln in band if ln.x0 < x - 1.5), key=lambda ln: ln.top)
    rights = sorted((ln for ln in band if ln.x0 >= x - 1.5), key=lambda ln: ln.top)
    ordered = lefts + rights
    step = (bottom - top) / max(len(ordered), 1)
    for k, ln in enumerate(ordered):
        ln.extra["y"] = top + k * step
        ln.extra["col"] = 0 if k < len(lefts) else 1
        if k < len(lefts):
            ln.extra["right"] = x - gap


_DIGITS = re.compile(r"\d+")
_FOOTER_LIKE = re.compile(r"(www\.|https?://|^sida #|^# ?(av|/) ?#$|^#$)", re.IGNORECASE)


def _drop_running_text(pages: list[list[Line]], heights: list[float]) -> None:
    """Remove page headers and footers: text outside tables near the top or bottom edge that
    repeats on several pages (digits ignored, for page numbers)."""

    def zone(line: Line, h: float) -> bool:
        return line.cell is None and (line.bottom < 0.12 * h or line.top > 0.88 * h)

    seen: Counter[str] = Counter()
    for lines, h in zip(pages, heights, strict=True):
        keys = {_DIGITS.sub("#", line.text.casefold()) for line in lines if zone(line, h)}
        seen.update(keys)
    many = len(pages) >= 2
    for i, (lines, h) in enumerate(zip(pages, heights, strict=True)):
        kept = []
        for line in lines:
            if zone(line, h):
                key = _DIGITS.sub("#", line.text.casefold())
                if (many and seen[key] >= 2) or _FOOTER_LIKE.search(key):
                    continue
            kept.append(line)
        pages[i] = kept


def _join(prev: Line, cur: Line, right_edge: float, wrap_spaces: bool) -> str:
    """How `cur` continues `prev`: "\n" new paragraph, " " wrapped line, "" word broken.

    `wrap_spaces`: the producer keeps the space at the end of a wrapped line (LibreOffice does),
    so a line that ends without one, with room to spare, ended its paragraph.
    """
    if cur.bullet:
        return "\n"
    if abs(cur.size - prev.size) > 0.6 or cur.italic != prev.italic:
        return "\n"
    right_edge = prev.extra.get("right", right_edge)
    switch = prev.extra.get("col", 0) != cur.extra.get("col", 0)  # on to the next column
    gap = cur.top - prev.bottom
    if prev.page == cur.page and not switch and gap > 0.45 * max(prev.size, cur.size):
        return "\n"
    if wrap_spaces and prev.trailing_space:
        return " "  # the producer marks wrapped lines with their trailing space
    # Greedy wrapping: had the next line's first word fitted here, the author broke the line.
    room = right_edge - prev.x1
    if cur.first_word + 0.3 * cur.size < room:
        return "\n"
    if prev.trailing_space:
        return " "
    last, first = prev.text[-1], cur.text[0]
    if last == "-" and len(prev.text) > 1 and prev.text[-2].isalnum():
        return ""
    if " " not in prev.text and room < 1.2 * prev.size and last.isalnum() and first.isalnum():
        return ""  # a word longer than the cell, broken by the renderer
    if wrap_spaces and room > 0.5 * prev.size:
        return "\n"
    return " "


def _assemble(lines: list[Line], right_edge: float, wrap_spaces: bool) -> list[tuple[str, Line]]:
    """Paragraphs (text, first line) from lines in reading order."""
    paras: list[tuple[str, Line]] = []
    prev: Line | None = None
    for line in lines:
        text = (BULLET + line.text) if line.bullet else line.text
        if prev is None or (sep := _join(prev, line, right_edge, wrap_spaces)) == "\n":
            paras.append((text, line))
        else:
            paras[-1] = (paras[-1][0] + sep + line.text, paras[-1][1])
        prev = line
    return [(clean_text(t), first) for t, first in paras if clean_text(t)]


CellKey = tuple[int, tuple[float, float, float, float]]


def _join_split_cells(by_cell: dict[CellKey, list[Line]], pages: list[list[Line]]) -> None:
    """A table cell that a page break splits is one cell: the last cell in its column at the
    foot of one page and the first at the head of the next, same left and right borders, with
    nothing after or before them, are joined (the second's lines follow the first's), so a
    value or answer that runs over the break is read whole."""
    bottoms = [max((ln.bottom for ln in lines), default=0.0) for lines in pages]
    tops = [min((ln.top for ln in lines), default=0.0) for lines in pages]
    for key in sorted(by_cell, key=lambda k: (k[0], k[1][1])):
        page, box = key
        if key not in by_cell or page + 1 >= len(pages):
            continue
        lines = by_cell[key]
        if max(ln.bottom for ln in lines) < bottoms[page] - 0.5:
            continue  # something follows it on its page
        for nkey in sorted(by_cell, key=lambda k: k[1][1]):
            npage, nbox = nkey
            if npage != page + 1 or nkey == key:
                continue
            if abs(nbox[0] - box[0]) > 2 or abs(nbox[2] - box[2]) > 2:
                continue
            nlines = by_cell[nkey]
            if min(ln.top for ln in nlines) > tops[npage] + 0.5:
                break  # something comes before it on its page
            last = max(lines, key=lambda ln: (ln.top, ln.x0))
            first = min(nlines, key=lambda ln: (ln.top, ln.x0))
            pad = max(0.0, min(ln.x0 for ln in lines) - box[0])
            room = box[2] - pad - last.x1
            # Greedy wrapping: had the next page's first word fitted, the cell ended there
            # (a new table row that starts the page, not the rest of this cell).
            if first.first_word + 0.3 * first.size < room and not last.trailing_space:
                break
            lines.extend(by_cell.pop(nkey))
            break


class _TextDevice(PDFDevice):
    """The text of a page as lines (top, size, text): each string decoded to characters where
    it is shown, a new line where the baseline moves; no glyph boxes, no layout."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr)
        self.lines: list[tuple[float, float, list[str]]] = []
        self._height = 0.0

    def begin_page(
        self, page: PDFPage, ctm: tuple[float, float, float, float, float, float]
    ) -> None:
        super().begin_page(page, ctm)
        self.lines = []
        self._height = float(page.mediabox[3] - page.mediabox[1]) if page.mediabox else 0.0

    def render_string(
        self,
        textstate: PDFTextState,
        seq: PDFTextSeq,
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> None:
        font = textstate.font
        if font is None or self.ctm is None:
            return
        matrix = mult_matrix(textstate.matrix, self.ctm)
        size = abs(textstate.fontsize * matrix[3]) or abs(textstate.fontsize)
        top = self._height - matrix[5] - size
        parts: list[str] = []
        for item in seq:
            if isinstance(item, bytes):
                for cid in font.decode(item):
                    try:
                        parts.append(font.to_unichr(cid))
                    except PDFUnicodeNotDefined:
                        continue
            elif isinstance(item, int | float) and item < -200 and parts and parts[-1] != " ":
                parts.append(" ")  # a kerning gap wide enough to be a word space
        if not parts:
            return
        if self.lines and abs(self.lines[-1][0] - top) <= 0.35 * max(size, 1.0):
            self.lines[-1][2].append(" ")  # the same baseline: a separate string, a new word
            self.lines[-1][2].extend(parts)
        else:
            self.lines.append((top, size, parts))


def _text_paras(page_no: int, lines: list[tuple[float, float, list[str]]]) -> list[Para]:
    """Paragraphs of a plain-text page: lines joined until a gap wider than a line or a change
    of font size."""
    paras: list[Para] = []
    words: list[str] = []
    start = prev_top = prev_size = 0.0

    def flush() -> None:
        text = clean_text(" ".join(words))
        if text:
            paras.append(Para(text, page_no * PAGE_STRIDE + start, size=prev_size))
        words.clear()

    for top, size, parts in lines:
        text = "".join(parts)
        gap = top - prev_top
        if words and (abs(size - prev_size) > 0.6 or not 0 < gap <= 1.6 * max(size, 1.0)):
            flush()
        if not words:
            start = top
        words.append(text)
        prev_top, prev_size = top, size
    flush()
    return paras


def read_pdf_document(doc: PDFDocument, max_pages: int, layout_pages: int = 30) -> Layout:
    """Layout of an opened PDF document (the caller opens it, to check encryption first): the
    first `layout_pages` pages laid out, the text of the rest up to `max_pages` as
    `Layout.appendix`."""
    rsrc = PDFResourceManager(caching=True)
    device = PDFPageAggregator(rsrc, laparams=None)
    interpreter = PDFPageInterpreter(rsrc, device)
    text_device = _TextDevice(rsrc)
    text_interpreter = PDFPageInterpreter(rsrc, text_device)
    pages: list[list[Line]] = []
    heights: list[float] = []
    rest: list[Para] = []
    read = 0
    form_values = False
    for i, page in enumerate(PDFPage.create_pages(doc)):
        if i >= max_pages:
            break
        read = i + 1
        if i >= layout_pages:
            text_interpreter.process_page(page)
            rest.extend(_text_paras(i, text_device.lines))
            continue
        interpreter.process_page(page)
        ltpage = device.get_result()
        heights.append(ltpage.height)
        values = pdf_form.page_values(page.annots, ltpage.height) if page.annots else []
        form_values = form_values or bool(values)
        pages.append(_page_lines(i, ltpage, values))
    layout = layout_of(pages, heights)
    layout.pages = read
    layout.source = "pdf_form" if form_values else "pdf"
    layout.appendix = "\n".join(p.text for p in rest)
    return layout


def layout_of(pages: list[list[Line]], heights: list[float]) -> Layout:
    """Paragraphs and cells in reading order from the laid-out pages' lines."""
    _drop_running_text(pages, heights)

    wrap_spaces = sum(ln.trailing_space for lines in pages for ln in lines) >= 3
    body_right = max((ln.x1 for lines in pages for ln in lines if ln.cell is None), default=0.0)
    for lines in pages:
        # A page's own right margin (sections of a document may have other margins).
        page_body = [ln for ln in lines if ln.cell is None]
        if len(page_body) >= 8:
            page_right = max(ln.x1 for ln in page_body)
            for ln in page_body:
                ln.extra.setdefault("right", page_right)
    units: list[tuple[float, float, Any]] = []
    body: list[Line] = []
    by_cell: dict[tuple[int, tuple[float, float, float, float]], list[Line]] = defaultdict(list)
    for lines in pages:
        for line in lines:
            if line.cell is None:
                body.append(line)
            else:
                by_cell[(line.page, line.cell)].append(line)

    _join_split_cells(by_cell, pages)
    cells: list[Cell] = []
    for (page_no, box), lines in by_cell.items():
        lines.sort(key=lambda ln: (ln.page, ln.top, ln.x0))
        pad = max(0.0, min(ln.x0 for ln in lines) - box[0])
        paras = [t for t, _ in _assemble(lines, box[2] - pad, wrap_spaces)]
        off = page_no * PAGE_STRIDE
        cell = Cell(box[0], box[1] + off, box[2], box[3] + off, paras)
        cells.append(cell)
        units.append((cell.y0, cell.x0, cell))

    # Body lines: consecutive lines form paragraphs unless a table comes between them.
    body.sort(key=lambda ln: (ln.page, ln.extra.get("y", ln.top), ln.x0))
    cell_tops = sorted(c.y0 for c in cells)
    run: list[Line] = []

    def flush() -> None:
        for text, first in _assemble(run, body_right, wrap_spaces):
            y = first.page * PAGE_STRIDE + first.extra.get("y", first.top)
            para = Para(text, y, first.x0, size=first.size, bold=first.bold, italic=first.italic)
            units.append((y, first.x0, para))
        run.clear()

    for line in body:
        y = line.page * PAGE_STRIDE + line.extra.get("y", line.top)
        if run:
            prev_y = run[-1].page * PAGE_STRIDE + run[-1].extra.get("y", run[-1].top)
            i = bisect.bisect_right(cell_tops, prev_y)
            if i < len(cell_tops) and cell_tops[i] < y:
                flush()
        run.append(line)
    flush()

    units.sort(key=lambda u: (u[0], u[1]))
    paras_out: list[Para] = []
    for _y, _x, unit in units:
        if isinstance(unit, Cell):
            for k, text in enumerate(unit.paras):
                paras_out.append(Para(text, unit.y0 + k * 0.001, unit.x0, in_cell=True))
        else:
            paras_out.append(unit)
    return Layout(paras_out, cells, tol=2.0, pages=len(pages), page_stride=PAGE_STRIDE)
