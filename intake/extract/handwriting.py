"""Handwriting in the signature section of a scanned or photographed page (issue 29).

The signature area is found from tesseract's word boxes: the section's heading
("8 Uppgiftslämnare", or a synonym of the form definition) and, below it, the name label
("Namn", "Underskrift"); the area is the name label's column from the label's foot down about
an inch, bounded by the ruling lines of its cell where there are any. In it, ink is what is dark
after three subtractions: the ruling lines (long straight runs), the words tesseract read with
confidence (printed labels, a typed name), and specks (noise). What is left counts as a
signature when its strokes span more than a word's width and are tall enough to be writing,
not a remnant of a rule. It is evidence for the officer, never proof: a false "signed" on an
unsigned scan costs more than a missed scribble, so the thresholds are cautious.

Pillow only (no numpy: see ocr.preload); pages are grey images at ocr.DPI, already deskewed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

DARK = 150  # grey level below which a pixel is ink (as ocr.DARK)
# At 200 dpi: the area under the label, a rule's least length, a signature's least span.
AREA_HEIGHT_PX = 230
RULE_RUN_PX = 70
MIN_SPAN_PX = 110
MIN_HEIGHT_PX = 14
MIN_COMPONENT_PX = 25  # smaller specks are noise
MIN_INK_PX = 250
WORD_CONF = 60.0  # words read at least this sure are printed text, not ink
WORD_PAD_PX = 4


class WordBox(Protocol):
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float


@dataclass(frozen=True)
class Labels:
    """The words that find the signature area (folded: casefolded, no diacritics)."""

    headings: frozenset[str]
    names: frozenset[str]


DEFAULT_LABELS = Labels(
    frozenset({"uppgiftslamnare", "underskrift", "intygande"}),
    frozenset({"namn", "underskrift", "namnfortydligande"}),
)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _close(a: str, b: str) -> bool:
    """Equal, or for a long word at most two letters apart (OCR's slips)."""
    if a == b:
        return True
    if len(b) < 8 or abs(len(a) - len(b)) > 2:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 2


def signature_area(
    words: Sequence[WordBox], size: tuple[int, int], labels: Labels = DEFAULT_LABELS
) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) in pixels of the signature area on this page, or None when
    the page has no signature section. The last heading on the page counts."""
    heads = [
        w for w in words if any(_close(fold(w.text), h) for h in labels.headings) and w.conf > 30
    ]
    if not heads:
        return None
    head = max(heads, key=lambda w: w.top)
    below = [
        w
        for w in words
        if w.top > head.top + head.height // 2
        and w.top < head.top + head.height + 200
        and fold(w.text) in labels.names
    ]
    width, height = size
    if below:
        label = min(below, key=lambda w: w.top)
        left = label.left - 25
        top = label.top + label.height + 2
    else:
        left = head.left - 25
        top = head.top + head.height + 2
    right = width - 40
    bottom = min(height - 1, top + AREA_HEIGHT_PX)
    if right - left < MIN_SPAN_PX or bottom - top < MIN_HEIGHT_PX:
        return None
    return max(0, left), top, right, bottom


def _ink(img: Any, box: tuple[int, int, int, int]) -> tuple[bytearray, int, int]:
    """The area as a 0/1 mask (row-major), width, height."""
    crop = img.crop(box).point(lambda v: 1 if v < DARK else 0)
    w, h = crop.size
    return bytearray(crop.tobytes()), w, h


def _clear_rules(mask: bytearray, w: int, h: int) -> None:
    """Runs of ink along a row (or a column) at least RULE_RUN_PX long, and the rows (columns)
    either side of them, cleared: the cell's lines, even a little skewed."""
    hits: list[tuple[int, int, int]] = []
    for y in range(h):
        row = y * w
        start = -1
        for x in range(w + 1):
            on = x < w and mask[row + x]
            if on and start < 0:
                start = x
            elif not on and start >= 0:
                if x - start >= RULE_RUN_PX:
                    hits.append((y, start, x))
                start = -1
    vhits: list[tuple[int, int, int]] = []
    for x in range(w):
        start = -1
        for y in range(h + 1):
            on = y < h and mask[y * w + x]
            if on and start < 0:
                start = y
            elif not on and start >= 0:
                if y - start >= RULE_RUN_PX * 2 // 3:
                    vhits.append((x, start, y))
                start = -1
    for y, a, b in hits:
        for yy in range(max(0, y - 2), min(h, y + 3)):
            mask[yy * w + a : yy * w + b] = bytes(b - a)
    for x, a, b in vhits:
        for xx in range(max(0, x - 2), min(w, x + 3)):
            for yy in range(a, b):
                mask[yy * w + xx] = 0


def _clear_words(
    mask: bytearray, w: int, h: int, words: Iterable[WordBox], box: tuple[int, int, int, int]
) -> None:
    """Words tesseract read with confidence (printed text, a typed name) cleared."""
    left, top = box[0], box[1]
    for word in words:
        if word.conf < WORD_CONF or not any(c.isalnum() for c in word.text):
            continue
        x0 = max(0, word.left - left - WORD_PAD_PX)
        x1 = min(w, word.left + word.width - left + WORD_PAD_PX)
        y0 = max(0, word.top - top - WORD_PAD_PX)
        y1 = min(h, word.top + word.height - top + WORD_PAD_PX)
        for y in range(y0, y1):
            if x1 > x0:
                mask[y * w + x0 : y * w + x1] = bytes(x1 - x0)


def _components(mask: bytearray, w: int, h: int) -> list[tuple[int, int, int, int, int]]:
    """Connected groups of ink (8-neighbours): (pixels, x0, y0, x1, y1)."""
    seen = bytearray(len(mask))
    out: list[tuple[int, int, int, int, int]] = []
    for start in range(len(mask)):
        if not mask[start] or seen[start]:
            continue
        seen[start] = 1
        stack = [start]
        n, x0, y0, x1, y1 = 0, w, h, 0, 0
        while stack:
            p = stack.pop()
            y, x = divmod(p, w)
            n += 1
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for dy in (-1, 0, 1):
                yy = y + dy
                if yy < 0 or yy >= h:
                    continue
                for dx in (-1, 0, 1):
                    xx = x + dx
                    if 0 <= xx < w:
                        q = yy * w + xx
                        if mask[q] and not seen[q]:
                            seen[q] = 1
                            stack.append(q)
        out.append((n, x0, y0, x1, y1))
    return out


def find_ink(img: Any, words: Sequence[WordBox], labels: Labels = DEFAULT_LABELS) -> float | None:
    """The confidence (0..1) that the page's signature area holds handwriting, or None when
    it holds none (or the page has no signature section)."""
    box = signature_area(words, img.size, labels)
    if box is None:
        return None
    mask, w, h = _ink(img, box)
    _clear_rules(mask, w, h)
    _clear_words(mask, w, h, words, box)
    strokes = [c for c in _components(mask, w, h) if c[0] >= MIN_COMPONENT_PX]
    if not strokes:
        return None
    ink = sum(c[0] for c in strokes)
    span = max(c[3] for c in strokes) - min(c[1] for c in strokes)
    tall = max(c[4] - c[2] for c in strokes)
    widest = max(c[3] - c[1] for c in strokes)
    if ink < MIN_INK_PX or span < MIN_SPAN_PX or tall < MIN_HEIGHT_PX or widest < 40:
        return None
    # More ink over a wider span is surer; the least that passes is about 0.6.
    score = 0.5 + 0.25 * min(1.0, span / 400) + 0.24 * min(1.0, ink / 2500)
    return round(min(score, 0.99), 2)


def evidence(page: int, confidence: float) -> dict[str, Any]:
    """The spec's entry for `signatures`: page numbered from 1."""
    return {"kind": "handwritten", "page": page, "confidence": confidence}
