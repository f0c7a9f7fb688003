"""From a Layout to fields, sections and document type, as a person reads a form.

Nothing here depends on the exact wording of our own form. Headings are found by structure (a
section marker such as 4, 4.1, 7.1.1, A., B.2, 1) or by how they look) and mapped to the form
definition's sections by number first, then by similarity of their titles. Fields are found by a
label vocabulary (labels and synonyms, compared word by word after folding case, diacritics and
punctuation) in every layout forms use. Which form it is comes from the data (forms.py).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from intake.extract.form import FIELD_KEYS
from intake.extract.forms import FieldDef, FormDef, SectionDef
from intake.extract.layout import BULLET, Cell, Layout, Para
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

# --- words and similarity -------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")


# Words that carry no meaning in a heading or a helper question.
def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    # The marks among the text's distinct characters, then one translate: the same result as
    # testing every character, at a fraction of the cost (this runs on every line read).
    marks = {ord(c): None for c in set(decomposed) if unicodedata.combining(c)}
    return decomposed.translate(marks) if marks else decomposed


_STOP = frozenset(
    _strip_marks(
        "och i av för till på som den det de en ett att har hur vad vilka vilket vilken är om "
        "med inom under från eller ni er vi kan ska skulle kort kortfattat beskriv ange "
        "redovisa insatsen insatsens"
    ).split()
)


def words(text: str) -> list[str]:
    """Casefolded words with diacritics and punctuation folded away."""
    return _WORD_RE.findall(_strip_marks(text).casefold())


def _edit1(a: str, b: str) -> bool:
    """At most one substitution, insertion or deletion apart."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


# Swedish inflection endings: insats/insatsen/insatsens, organisation/organisations.
_ENDINGS = frozenset(
    [
        "s",
        "e",
        "es",
        "n",
        "ns",
        "en",
        "ens",
        "et",
        "ets",
        "t",
        "ts",
        "er",
        "ers",
        "ar",
        "ars",
        "or",
        "ors",
        "na",
        "nas",
        "erna",
        "ernas",
        "arna",
        "arnas",
    ]
)


@lru_cache(maxsize=1 << 16)
def same_word(a: str, b: str) -> bool:
    """Equal, or an inflection (insats/insatsen), or a one-letter slip in a long word."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and long_.startswith(short) and long_[len(short) :] in _ENDINGS:
        return True
    return len(short) >= 7 and _edit1(a, b)


@lru_cache(maxsize=4096)
def _content_words(text: str) -> tuple[str, ...]:
    ws = words(text)
    return tuple(w for w in ws if w not in _STOP) or tuple(ws)


def similarity(a: str, b: str) -> float:
    """Token overlap (Dice) of two texts, stop words left out; 0..1."""
    wa, wb = _content_words(a), _content_words(b)
    if not wa or not wb:
        return 0.0
    return _dice(wa, wb)


@lru_cache(maxsize=1 << 14)
def _dice(wa: tuple[str, ...], wb: tuple[str, ...]) -> float:
    # same_word is symmetric: each pair is asked once, for both sides, and only where it
    # could hold (equal words are found first; an inflection shares its first four letters; a
    # slip needs two words of seven letters or more, at most one apart in length).
    hit_a = [w in wb for w in wa]
    hit_b = [v in wa for v in wb]
    for i, w in enumerate(wa):
        for j, v in enumerate(wb):
            if hit_a[i] and hit_b[j]:
                continue
            if w[:4] != v[:4] and (len(w) < 7 or len(v) < 7 or abs(len(w) - len(v)) > 1):
                continue
            if same_word(w, v):
                hit_a[i] = hit_b[j] = True
    return (sum(hit_a) + sum(hit_b)) / (len(wa) + len(wb))


def _best_similarity(text: str, section: SectionDef) -> float:
    return max(similarity(text, t) for t in (section.title, *section.synonyms))


# --- document type ----------------------------------------------------------------------


def document_type(paras: list[Para], type_words: dict[str, tuple[str, ...]]) -> str:
    """From title words in the first lines, in compounds and after other words
    ("PROJEKTSTÖD – Slutrapport", "Slutredovisning"); short lines (titles) first."""
    folded = {t: [w for x in ws for w in words(x)] for t, ws in type_words.items()}
    head = [p for p in paras[:25] if not p.text.startswith(BULLET)]
    for short in (True, False):
        for para in head:
            ws = words(para.text)
            if short != (len(ws) <= 8):
                continue
            for kind, needles in folded.items():
                if any(n in w for w in ws for n in needles):
                    return kind
    return "unknown"


# --- headings ---------------------------------------------------------------------------

_MARKER_RE = re.compile(
    r"^\s*(?:"
    r"(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})(?:\.|\))?"
    r"|(?P<rom>[IVX]{1,6}(?:\.\d{1,2}){1,3}\.?|[IVX]{1,6}[.)])"
    r"|(?P<let>[A-ZÅÄÖ](?:\.\d{1,2}){1,3})\.?"
    r"|(?P<let1>[A-ZÅÄÖ])[.)]"
    r")(?:\s+|(?=[A-ZÅÄÖ]))(?P<title>[^\W\d_].*)$"
)


@dataclass
class HeadingAt:
    """A heading found in the document: where, its marker (may be empty) and title."""

    index: int  # into layout.paras
    marker: str
    title: str
    end: int  # first paragraph index after the heading block
    rest: str = ""  # answer text on the heading's own line (after its colon or question mark)
    key: str = ""  # the definition's section number, or "" when unmapped


def _body_size(paras: list[Para]) -> float:
    sizes: Counter[float] = Counter()
    for p in paras:
        if p.size and not p.in_cell:
            sizes[round(p.size * 2) / 2] += len(p.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _looks_like_heading(p: Para, body: float) -> bool:
    return p.heading or (body > 0 and p.size >= body + 0.9)


def _split_heading(text: str) -> tuple[str, str]:
    """Heading text through its colon or question mark (a parenthesis included), and the rest."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in ":?" and depth == 0:
            rest = text[i + 1 :].strip()
            if rest:
                return text[: i + 1], rest
    return text, ""


def _candidate(p: Para, body: float) -> tuple[str, str] | None:
    """(marker, title) when the paragraph can be a heading."""
    text = p.text
    if p.in_cell or text.startswith(BULLET) or len(text) > 320:
        return None
    m = _MARKER_RE.match(text)
    if m:
        marker = m.group("num") or m.group("let") or m.group("let1") or ""
        if m.group("rom"):
            marker = marker_number(m.group("rom"))
        title = m.group("title").strip()
        head, _rest = _split_heading(title)
        n = len(words(head))
        styled = _looks_like_heading(p, body) or p.bold
        # A long numbered question is a heading only when it looks like one.
        if n > (40 if styled else 22) or (len(text) > 200 and not styled):
            return None
        if head.endswith(".") and n > 10 and not styled:
            return None
        return marker, title
    if len(text) <= 120 and not text.endswith((".", ",", ";")):
        return "", text
    return None


def marker_number(marker: str) -> str:
    """A marker as a section number: "IV.1" as 4.1, "VII." as 7; others without their dot."""
    marker = marker.strip().rstrip(".)")
    first, dot, rest = marker.partition(".")
    value = _roman(first)
    if value is None:
        return marker
    return str(value) + dot + rest


_ROMAN = {"I": 1, "V": 5, "X": 10}


def _roman(text: str) -> int | None:
    """I..XXXIX as a number; None for anything else."""
    if not text or len(text) > 6 or any(c not in _ROMAN for c in text):
        return None
    total = 0
    for i, c in enumerate(text):
        v = _ROMAN[c]
        total += -v if i + 1 < len(text) and _ROMAN[text[i + 1]] > v else v
    return total if 0 < total < 40 else None


def _marker_key(marker: str, form: FormDef) -> str:
    """The definition's number for a marker: 4.1 as is; D.1 read as 4.1 on a numbered form
    (and 4.1 as D.1 on a lettered one)."""
    if not marker:
        return ""
    if form.section(marker) is not None:
        return marker
    first, _, rest = marker.partition(".")
    if first.isalpha() and not form.lettered:
        alt = str(ord(first.upper()) - ord("A") + 1)
    elif first.isdigit() and form.lettered and 1 <= int(first) <= 26:
        alt = chr(ord("A") + int(first) - 1)
    else:
        return ""
    alt = alt + ("." + rest if rest else "")
    return alt if form.section(alt) is not None else ""


def find_headings(layout: Layout, form: FormDef) -> list[HeadingAt]:
    """Headings in document order, each mapped to a section of `form` where one fits."""
    paras = layout.paras
    body = _body_size(paras)
    order = {s.number: i for i, s in enumerate(form.sections)}
    # Numbers written in the document belong to their headings: a heading without a number
    # (or the title line) never takes them by similarity.
    reserved = set()
    for p in paras:
        cand = _candidate(p, body)
        if cand is not None and cand[0]:
            reserved.add(_marker_key(cand[0], form))
    out: list[HeadingAt] = []
    used: set[str] = set()
    last = -1
    title_words = {w for t in form.title_words for w in words(t)}
    i = 0
    while i < len(paras):
        p = paras[i]
        cand = _candidate(p, body)
        if cand is None:
            i += 1
            continue
        marker, title = cand
        num_key = _marker_key(marker, form)
        key = ""
        num_section = form.section(num_key) if num_key and num_key not in used else None
        if num_section is not None and _best_similarity(title, num_section) >= 0.15:
            key = num_key  # the number decides; the title only has to be not unlike
        scores = {} if key else {s.number: _best_similarity(title, s) for s in form.sections}
        if num_section is not None and not key:
            best_other = max((v for k, v in scores.items() if k != num_key), default=0.0)
            if best_other < 0.6:
                key = num_key
        title_line = not marker and not used and bool(title_words & set(words(title)))
        if not key and not num_key and form.sections and not title_line:
            ranked = sorted(
                ((v + (0.1 if order[k] > last else 0.0), k) for k, v in scores.items()),
                reverse=True,
            )
            for v, k in ranked:
                need = 0.45 if (marker or _looks_like_heading(p, body)) else 0.6
                if v >= need and k not in used and k not in reserved:
                    key = k
                    break
        styled = _looks_like_heading(p, body) or p.bold
        if not key and not marker and not _looks_like_heading(p, body):
            i += 1
            continue  # a short plain or bold line inside an answer, not a heading
        if (
            not key
            and marker
            and not (styled or form.generic or not form.sections)
            and form.section(marker) is None
        ):
            # A numbered paragraph that matches nothing and does not look like a heading:
            # a numbered list in an answer.
            i += 1
            continue
        head_text, rest = _split_heading(title)
        end = i + 1
        # A heading that goes on in the next paragraph: "(tidsplan, …):" or a lone colon.
        if not rest and not head_text.endswith(("?", ":")):
            while end < len(paras) and end < i + 3:
                nxt = paras[end].text
                if paras[end].in_cell or not (nxt.startswith("(") or nxt in (":", "?")):
                    break
                more, rest = _split_heading(nxt)
                end += 1
                if rest or more.endswith((":", "?")):
                    break
        if key:
            used.add(key)
            last = order[key]
        out.append(HeadingAt(i, marker, title, end, rest, key))
        i = end
    return out


def _top(number: str) -> str:
    return number.split(".", 1)[0]


# --- sections ---------------------------------------------------------------------------


_IMPERATIVES = frozenset(
    _strip_marks("beskriv ange redovisa berätta förklara kommentera redogör motivera").split()
)


_PASSIVES = frozenset(
    _strip_marks("bifogas anges redovisas beskrivas kommenteras motiveras förklaras").split()
)


def _instruction(text: str) -> bool:
    """A question or an instruction, as helper texts are written: an imperative (Beskriv…,
    Ange…), one after a condition ("Om inte, redogör för…"), or "… ska bifogas"."""
    ws = words(text)
    if not ws or len(ws) > 30:
        return False
    if text.endswith("?") or ws[0] in _IMPERATIVES:
        return True
    if ws[0] == "om" and any(w in _IMPERATIVES for w in ws[1:5]):
        return True
    return "ska" in ws and any(w in _PASSIVES for w in ws)


def _is_helper(p: Para, section: SectionDef | None, generic_help: list[str]) -> bool:
    """The form's helper question: by similarity to the definition's helper text, or by how it
    looks (italic, smaller, grey) together with how it is written (a question, an instruction).
    An answer typed over the helper text keeps the helper's look but reads as an answer."""
    text = p.text
    looks = p.helper or p.italic
    for helper in section.helpers if section is not None else ():
        sim = similarity(text, helper)
        if sim >= 0.5 or (looks and sim >= 0.25) or covered(text, helper) >= 0.8:
            return True
    if text.startswith("(") and text.endswith(")"):
        return True
    if not looks:
        return False
    return _instruction(text) or any(similarity(text, h) >= 0.5 for h in generic_help)


def covered(text: str, helper: str) -> float:
    """Share of the text's content words that the helper text has (0 for under 3 words, 1 for
    a word-for-word piece of it): a helper sentence cut out of a longer helper text, or one of
    several, or a line of it."""
    folded = " ".join(words(text))
    if folded and f" {folded} " in f" {' '.join(words(helper))} ":
        return 1.0  # a piece of the helper text, word for word (a wrapped line of it)
    wa = _content_words(text)
    if len(wa) < 3:
        return 0.0
    wb = _content_words(helper)
    return sum(1 for w in wa if any(same_word(w, v) for v in wb)) / len(wa)


def _rest_is_helper(rest: str, section: SectionDef | None) -> bool:
    """Text after a heading's question mark on the same line: the form's helper question
    (printed beside its heading) rather than the start of an answer."""
    if section is not None and section.helpers:
        return any(similarity(rest, h) >= 0.5 or covered(rest, h) >= 0.8 for h in section.helpers)
    return _instruction(rest)


def sections(layout: Layout, form: FormDef, heads: list[HeadingAt]) -> dict[str, str]:
    """Answer text per section key (the definition's, or an unmapped heading's own marker)."""
    out: dict[str, str] = dict.fromkeys(form.answer_keys, "")
    by_number = {s.number: s for s in form.sections}
    helpers = [h for s in form.sections for h in s.helpers]
    aliases = _aliases(form)
    mapped_any = any(h.key for h in heads)
    first_real = next((h.index for h in heads if h.key or h.marker), len(layout.paras))
    for pos, h in enumerate(heads):
        key = h.key or h.marker
        if not key and h.index < min(first_real, 3):
            continue  # the title block (form name, funder), not a question
        if not key:
            if not form.sections or (not mapped_any and form.generic):
                key = clean_text(h.title)[:60]
            else:
                continue
        section = by_number.get(h.key) if h.key else None
        if section is not None and not section.answer:
            continue
        if not h.key and key in out and out[key]:
            continue
        stop = heads[pos + 1].index if pos + 1 < len(heads) else len(layout.paras)
        body = layout.paras[h.end : stop]
        drop_rest = bool(h.rest) and _rest_is_helper(h.rest, section)
        texts: list[str] = [h.rest] if h.rest and not drop_rest else []
        leading = True
        for p in body:
            if leading and _is_helper(p, section, helpers):
                continue
            if leading and drop_rest and (p.italic or p.helper) and p.text[:1].islower():
                continue  # the helper beside the heading goes on in the next line
            if section is None and _line_site(p.text, aliases, p.y, p.x) is not None:
                continue  # an "Etikett: värde" line under a heading of no section is a field
            leading = False
            texts.append(p.text)
        text = "\n".join(t for t in (clean_text(x) for x in texts) if t)
        if h.key or text:
            out[key] = text
    return out


def unread_sections(
    layout: Layout, form: FormDef, heads: list[HeadingAt], answers: dict[str, str]
) -> list[str]:
    """Answer sections of the definition that came out empty although the document has them:
    their heading is written in the document but could not be placed (its number starts a
    paragraph), or text stands between their found neighbours under a group heading that
    holds no answer. Reading went wrong there; staff should look."""
    if form.generic or not heads:
        return []
    found = {h.key: h for h in heads if h.key}
    order = [s.number for s in form.sections]
    numbers = [
        marker_number(m.group("num") or m.group("rom") or "")
        for p in layout.paras
        if not p.in_cell and (m := _MARKER_RE.match(p.text))
    ]
    out = []
    for pos, number in enumerate(order):
        section = form.sections[pos]
        if not section.answer or number in found or answers.get(number):
            continue
        if number in numbers:
            out.append(number)
            continue
        prev = next((found[k] for k in reversed(order[:pos]) if k in found), None)
        nxt = next((found[k] for k in order[pos + 1 :] if k in found), None)
        if prev is None or nxt is None or nxt.index <= prev.end:
            continue
        prev_def = form.section(prev.key)
        if prev_def is None or prev_def.answer:
            continue  # the text between is the previous answer's
        helpers = [h for s in form.sections for h in s.helpers]
        between = [
            p
            for p in layout.paras[prev.end : nxt.index]
            if not p.in_cell and not _is_helper(p, None, helpers) and len(words(p.text)) >= 5
        ]
        if between:
            out.append(number)
    return out


# --- fields -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Alias:
    field: FieldDef
    words: tuple[str, ...]
    specific: bool  # long enough to trust outside its section


def _aliases(form: FormDef) -> list[_Alias]:
    out = []
    for f in form.fields:
        for label in f.labels:
            ws = tuple(words(label))
            if ws:
                out.append(_Alias(f, ws, len("".join(ws)) >= 9))
    return sorted(out, key=lambda a: -len(a.words))


@dataclass
class _Match:
    aliases: list[_Alias]
    rest: str  # the text after the label


def _match_label(text: str, aliases: list[_Alias]) -> _Match | None:
    """Aliases that the text starts with (longest first), and the text after them."""
    spans = words(text[:200])[:12]
    if not spans:
        return None
    found: list[_Alias] = []
    size = 0
    first = spans[0]
    for a in aliases:
        if a.words[0][:3] != first[:3]:
            continue
        n = len(a.words)
        if n < size or n > len(spans):
            continue
        if all(same_word(spans[k], a.words[k]) for k in range(n)):
            found.append(a)
            size = n
    if not found:
        return None
    return _Match(found, _after_words(text, size))


def _after_words(text: str, n: int) -> str:
    """`text` after its first `n` words (counted as words() counts them)."""
    count = 0
    for m in re.finditer(r"[^\W_]+", text):
        # One original word can fold to several (rare ligatures); count folded words.
        count += max(1, len(words(m.group(0))))
        if count >= n:
            return text[m.end() :]
    return ""


_HINT_RE = re.compile(r"^[\s\-–—(:]*(?:åååå|yyyy)[\s\-–—]*mm[\s\-–—]*dd\)?", re.IGNORECASE)
_COLON_RE = re.compile(r"^\s*[:：]\s*")
# A format hint in parentheses after a label: "(år, mån, dag)", "(kr)", "(inkl. moms)".
_PAREN_HINT_RE = re.compile(r"^\s*\([^()]{0,30}\)")


def _label_rest(rest: str) -> tuple[bool, str, bool]:
    """(is a label, value on the same line, had a colon) from the text after a label."""
    rest = _HINT_RE.sub("", rest)
    rest = _PAREN_HINT_RE.sub("", rest.removeprefix(")"))
    m = _COLON_RE.match(rest)
    if m:
        return True, rest[m.end() :].strip(), True
    stripped = rest.strip(" \t.–-")
    return (not stripped), "", False


@dataclass
class _Site:
    y: float
    x: float
    aliases: list[_Alias]
    value: str
    strict: bool  # a "Label: value" line in running text: the value must parse


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


def _line_site(text: str, aliases: list[_Alias], y: float, x: float) -> _Site | None:
    """A "Label: value" line (the colon is required: prose may start with a label word)."""
    m = _match_label(text, aliases)
    if m is None:
        return None
    _is_label, value, colon = _label_rest(m.rest)
    if not colon:
        return None
    return _Site(y, x, m.aliases, value, True)


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


# --- one form, read -----------------------------------------------------------------------


@dataclass
class Reading:
    """A document read through one definition."""

    form: FormDef
    heads: list[HeadingAt]
    raw: RawFields
    confidence: float  # share of the definition's fields whose label was found

    @property
    def found_numbers(self) -> set[str]:
        return {h.key for h in self.heads if h.key}


def read_with(layout: Layout, form: FormDef) -> Reading:
    heads = find_headings(layout, form)
    raw = fields(layout, form, heads)
    total = len(form.fields)
    if total:
        confidence = len(raw.labelled) / total
    elif form.sections:  # a free-text form (numbered questions): its headings found
        found = {h.key for h in heads if h.key}
        confidence = len(found) / len(form.sections)
    else:
        confidence = 0.0
    return Reading(form, heads, raw, round(confidence, 2))


def choose(layout: Layout, forms: tuple[FormDef, ...], kind: str, threshold: float) -> Reading:
    """The best-fitting definition: most labels found, title words as a bonus; the generic
    definition when no specific one reaches `threshold`."""
    best: Reading | None = None
    best_score = -1.0
    generic: FormDef | None = None
    # Forms of the title's type first; a clear fit among them ends the search.
    for form in sorted(forms, key=lambda f: f.document_type != kind):
        if form.generic:
            generic = generic or form
            continue
        reading = read_with(layout, form)
        titled = form.document_type == kind
        score = reading.confidence + (0.15 if titled else 0.0)
        if score > best_score:
            best, best_score = reading, score
        if titled and reading.confidence >= max(threshold, 0.8):
            break
    if best is not None and (best.confidence >= threshold or generic is None):
        return best
    assert generic is not None
    return read_with(layout, generic)


# Public names for the form learner (learn.py).
aliases = _aliases
match_label = _match_label
label_rest = _label_rest
split_heading = _split_heading
