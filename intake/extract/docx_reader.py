"""DOCX to Layout: python-docx opens the package, we walk the body XML ourselves.

python-docx's paragraph and cell API hides text in content controls (w:sdt), so we read the
w:t elements under each paragraph directly. Headers and footers live in other parts and are
never read. Cells get pseudo-boxes: x from the table grid, y from a running counter shared with
body paragraphs, so "the cell to the right" and "the cell below" mean the same as in a PDF.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import docx

from intake.extract.layout import BULLET, Cell, Layout, Para
from intake.extract.normalize import clean_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, SDT, SDT_CONTENT = (
    _q("p"),
    _q("tbl"),
    _q("tr"),
    _q("tc"),
    _q("sdt"),
    _q("sdtContent"),
)
T, TAB, BR, CR, NBH = _q("t"), _q("tab"), _q("br"), _q("cr"), _q("noBreakHyphen")
VAL = _q("val")
# Containers whose children are still body content.
TRANSPARENT = {SDT_CONTENT, _q("customXml"), _q("smartTag"), _q("ins"), _q("moveTo")}
TEXT_TAGS = (T, TAB, BR, CR, NBH)


@dataclass
class _Numbering:
    """Which paragraphs are bullet items: numbering definitions and list styles."""

    bullet_nums: set[tuple[str, str]] = field(default_factory=set)  # (numId, ilvl)
    style_num: dict[str, tuple[str, str]] = field(default_factory=dict)  # styleId -> (numId, ilvl)

    @classmethod
    def load(cls, document: Any) -> _Numbering:
        out = cls()
        part = document.part
        try:
            numbering = part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering = None
        if numbering is not None:
            abstract_bullets: dict[str, set[str]] = {}
            for ab in numbering.iter(_q("abstractNum")):
                levels = set()
                for lvl in ab.iter(_q("lvl")):
                    fmt = lvl.find(_q("numFmt"))
                    if fmt is not None and fmt.get(VAL) == "bullet":
                        levels.add(lvl.get(_q("ilvl"), "0"))
                abstract_bullets[ab.get(_q("abstractNumId"), "")] = levels
            for num in numbering.iter(_q("num")):
                ref = num.find(_q("abstractNumId"))
                if ref is None:
                    continue
                for ilvl in abstract_bullets.get(ref.get(VAL, ""), set()):
                    out.bullet_nums.add((num.get(_q("numId"), ""), ilvl))
        styles = part.styles.element if part._styles_part is not None else None
        if styles is not None:
            for st in styles.iter(_q("style")):
                num_pr = st.find(f"{_q('pPr')}/{_q('numPr')}")
                if num_pr is not None:
                    num_id = num_pr.find(_q("numId"))
                    ilvl = num_pr.find(_q("ilvl"))
                    out.style_num[st.get(_q("styleId"), "")] = (
                        num_id.get(VAL, "") if num_id is not None else "",
                        ilvl.get(VAL, "0") if ilvl is not None else "0",
                    )
        return out

    def is_bullet(self, p: Any) -> bool:
        ppr = p.find(_q("pPr"))
        if ppr is None:
            return False
        num_pr = ppr.find(_q("numPr"))
        if num_pr is not None:
            num_id = num_pr.find(_q("numId"))
            ilvl = num_pr.find(_q("ilvl"))
            key = (
                num_id.get(VAL, "") if num_id is not None else "",
                ilvl.get(VAL, "0") if ilvl is not None else "0",
            )
            return key in self.bullet_nums
        style = ppr.find(_q("pStyle"))
        if style is not None:
            key2 = self.style_num.get(style.get(VAL, ""))
            return key2 is not None and key2 in self.bullet_nums
        return False


@dataclass
class _Look:
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    grey: bool = False


def _on(el: Any) -> bool | None:
    """A toggle property (w:b, w:i): None when not set."""
    if el is None:
        return None
    return el.get(VAL) not in ("0", "false", "off")


def _rpr_look(rpr: Any, base: _Look) -> _Look:
    if rpr is None:
        return base
    look = _Look(base.size, base.bold, base.italic, base.grey)
    sz = rpr.find(_q("sz"))
    if sz is not None and (sz.get(VAL) or "").isdigit():
        look.size = int(sz.get(VAL)) / 2
    b, i = _on(rpr.find(_q("b"))), _on(rpr.find(_q("i")))
    look.bold = look.bold if b is None else b
    look.italic = look.italic if i is None else i
    color = rpr.find(_q("color"))
    if color is not None:
        look.grey = _is_grey(color.get(VAL, ""))
    return look


def _is_grey(hex_color: str) -> bool:
    if len(hex_color) != 6:
        return False
    try:
        r, g, b = (int(hex_color[k : k + 2], 16) for k in (0, 2, 4))
    except ValueError:
        return False
    return max(r, g, b) - min(r, g, b) < 24 and 0x40 <= r <= 0xD0


_HEADING_STYLES = ("heading", "rubrik", "title", "rubrik", "överskrift")
_HELPER_STYLES = ("help", "hjälp", "instruktion", "instruction", "subtle", "placeholder", "ledtext")


class _Styles:
    """Paragraph and run looks from styles.xml (basedOn chains resolved), for headings and
    helper texts: size, bold, italic, grey, and the style's name."""

    def __init__(self, document: Any) -> None:
        self.raw: dict[str, Any] = {}
        self.default = _Look(size=11.0)
        self.default_para = ""
        part = document.part
        styles = part.styles.element if part._styles_part is not None else None
        if styles is None:
            return
        defaults = styles.find(f"{_q('docDefaults')}/{_q('rPrDefault')}/{_q('rPr')}")
        self.default = _rpr_look(defaults, self.default)
        for st in styles.iter(_q("style")):
            sid = st.get(_q("styleId"), "")
            self.raw[sid] = st
            if st.get(_q("type")) == "paragraph" and st.get(_q("default")) in ("1", "true"):
                self.default_para = sid
        self._cache: dict[str, tuple[_Look, str]] = {}

    def look(self, sid: str, depth: int = 0) -> tuple[_Look, str]:
        """The style's run look and its name (lowercased), following basedOn."""
        if sid in self._cache:
            return self._cache[sid]
        st = self.raw.get(sid)
        if st is None or depth > 10:
            return self.default, ""
        based = st.find(_q("basedOn"))
        base, _ = (
            self.look(based.get(VAL, ""), depth + 1)
            if based is not None
            else (
                self.default,
                "",
            )
        )
        look = _rpr_look(st.find(_q("rPr")), base)
        name_el = st.find(_q("name"))
        name = (name_el.get(VAL, "") if name_el is not None else sid).casefold()
        self._cache[sid] = (look, name)
        return look, name


def _paragraph_look(p: Any, styles: _Styles, para: Para) -> None:
    """Set the paragraph's size, bold, italic, heading and helper marks from its runs."""
    ppr = p.find(_q("pPr"))
    sid = styles.default_para
    if ppr is not None:
        ps = ppr.find(_q("pStyle"))
        if ps is not None:
            sid = ps.get(VAL, sid)
    base, name = styles.look(sid)
    if ppr is not None:
        base = _rpr_look(ppr.find(_q("rPr")), base)
    weights: Counter[tuple[float, bool, bool, bool]] = Counter()
    runs: list[tuple[float, bool, bool, bool]] = []
    for r in p.iter(_q("r")):
        text = "".join(t.text or "" for t in r.iter(T))
        if not text.strip():
            continue
        rpr = r.find(_q("rPr"))
        look = base
        if rpr is not None:
            rs = rpr.find(_q("rStyle"))
            if rs is not None:
                rlook, _ = styles.look(rs.get(VAL, ""))
                look = _Look(
                    rlook.size if rlook.size != styles.default.size else base.size,
                    base.bold or rlook.bold,
                    base.italic or rlook.italic,
                    base.grey or rlook.grey,
                )
            look = _rpr_look(rpr, look)
        weights[(look.size, look.bold, look.italic, look.grey)] += len(text)
        runs.append((look.size, look.bold, look.italic, look.grey))
    if not weights:
        return
    (size, bold, italic, grey), _n = weights.most_common(1)[0]
    lead = runs[0]
    if (
        lead[1]
        and not lead[2]
        and any(not b and (i or g or z < lead[0]) for z, b, i, g in runs[1:])
    ):
        # A bold heading with its helper question after it on the same line (smaller,
        # italic): the paragraph looks like its heading run.
        size, bold, italic, grey = lead
    para.size, para.bold, para.italic = size, bold, italic
    para.heading = name.startswith(_HEADING_STYLES)
    placeholder = p.find(f".//{_q('showingPlcHdr')}") is not None
    para.helper = grey or placeholder or any(h in name for h in _HELPER_STYLES)


def _paragraph_texts(p: Any) -> list[str]:
    """The paragraph's text, split at manual line breaks (which render as new lines)."""
    parts: list[str] = []
    for el in p.iter(TEXT_TAGS):
        tag = el.tag
        if tag == T:
            parts.append(el.text or "")
        elif tag == TAB:
            parts.append(" ")
        elif tag == NBH:
            parts.append("-")
        elif tag == BR:
            # Page and column breaks are layout, not text; a line break is a new line.
            parts.append(" " if el.get(_q("type")) in ("page", "column") else "\n")
        else:
            parts.append("\n")
    return [t for t in (clean_text(x) for x in "".join(parts).split("\n")) if t]


class _Walker:
    def __init__(self, numbering: _Numbering, styles: _Styles) -> None:
        self.numbering = numbering
        self.styles = styles
        self.y = 0.0
        self.paras: list[Para] = []
        self.cells: list[Cell] = []

    def block(self, parent: Any, sink: list[str] | None = None) -> None:
        """Body-level content: paragraphs, tables, and containers around them."""
        for child in parent:
            tag = child.tag
            if tag == P:
                self.paragraph(child, sink)
            elif tag == TBL:
                if sink is None:
                    self.table(child)
                else:
                    # Nested table: its text belongs to the outer cell.
                    for p in child.iter(P):
                        self.paragraph(p, sink)
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self.block(content, sink)
            elif tag in TRANSPARENT:
                self.block(child, sink)

    def paragraph(self, p: Any, sink: list[str] | None) -> None:
        texts = _paragraph_texts(p)
        if not texts:
            return
        if self.numbering.is_bullet(p):
            texts[0] = BULLET + texts[0]
        for text in texts:
            if sink is None:
                para = Para(text, self.y)
                _paragraph_look(p, self.styles, para)
                self.paras.append(para)
                self.y += 1
            else:
                sink.append(text)

    def table(self, tbl: Any) -> None:
        for tr in _rows(tbl):
            col = 0
            trpr = tr.find(_q("trPr"))
            if trpr is not None:
                before = trpr.find(_q("gridBefore"))
                if before is not None:
                    col += int(before.get(VAL, "0") or 0)
            row_y = self.y
            for tc in _cells(tr):
                span = 1
                vmerge_continue = False
                tcpr = tc.find(_q("tcPr"))
                if tcpr is not None:
                    gs = tcpr.find(_q("gridSpan"))
                    if gs is not None:
                        span = max(1, int(gs.get(VAL, "1") or 1))
                    vm = tcpr.find(_q("vMerge"))
                    vmerge_continue = vm is not None and vm.get(VAL) in (None, "continue")
                texts: list[str] = []
                self.block(tc, texts)
                if not vmerge_continue:
                    cell = Cell(float(col), row_y, float(col + span), row_y + 1, texts)
                    self.cells.append(cell)
                    for k, text in enumerate(texts):
                        # Reading order inside a row: cell by cell, then paragraph.
                        y = row_y + 0.01 * min(col, 99) + 0.0001 * min(k, 99)
                        self.paras.append(Para(text, y, float(col), True))
                col += span
            self.y += 1
        self.y += 1  # a table followed by another is not the same grid


def _rows(tbl: Any) -> list[Any]:
    out = []
    for child in tbl:
        if child.tag == TR:
            out.append(child)
        elif child.tag == SDT:  # a content control around rows
            content = child.find(SDT_CONTENT)
            if content is not None:
                out.extend(_rows(content))
    return out


def _cells(tr: Any) -> list[Any]:
    out = []
    for child in tr:
        if child.tag == TC:
            out.append(child)
        elif child.tag == SDT:  # a content control around cells
            content = child.find(SDT_CONTENT)
            if content is not None:
                out.extend(_cells(content))
    return out


_FALLBACK = f"{{{MC}}}Fallback"
# Tracked changes: text deleted or moved away is not the document's current text.
_NOT_CURRENT = (_q("del"), _q("moveFrom"))
TXBX_CONTENT = _q("txbxContent")


def _remove(el: Any) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def _empty_placeholders(body: Any) -> None:
    """A content control showing its placeholder ("Klicka eller tryck här för att ange
    text.") holds no value: its text is the form's prompt, not the sender's answer."""
    for pr in list(body.iter(_q("sdtPr"))):
        if pr.find(_q("showingPlcHdr")) is None:
            continue
        content = pr.getparent().find(SDT_CONTENT)
        if content is not None:
            for t in content.iter(T):
                t.text = ""


def _unfold_text_boxes(body: Any) -> None:
    """Move each text box's content (paragraphs and tables) to just after the paragraph that
    anchors it, so a registration box drawn as a table in a text box is read as a table."""
    after: dict[int, Any] = {}
    for box in list(body.iter(TXBX_CONTENT)):
        anchor = box.getparent()
        while anchor is not None and anchor.tag != P:
            anchor = anchor.getparent()
        if anchor is None or anchor.getparent() is None:
            continue
        last = after.get(id(anchor), anchor)
        for child in list(box):
            last.addnext(child)
            last = child
        after[id(anchor)] = last
        _remove(box)


def read_docx(data: bytes) -> Layout:
    """Layout of the document body."""
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    # Word stores text boxes twice (DrawingML and a VML fallback): read only one.
    for fb in list(body.iter(_FALLBACK)):
        _remove(fb)
    for el in list(body.iter(*_NOT_CURRENT)):
        _remove(el)
    _empty_placeholders(body)
    _unfold_text_boxes(body)
    walker = _Walker(_Numbering.load(document), _Styles(document))
    walker.block(body)
    walker.paras.sort(key=lambda p: p.y)
    return Layout(walker.paras, walker.cells, tol=0.01, source="docx")
