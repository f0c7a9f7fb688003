"""Headings and the sections under them, found by structure as a person finds them.

A heading is a section marker (4, 4.1, 7.1.1, A., B.2, 1)) or a line that looks like one (size,
weight); it is mapped to the form definition's sections by number first, then by the similarity
of its title. Helper text (the form's own questions and instructions) is left out of the answers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from intake.extract.forms import FormDef, SectionDef
from intake.extract.labels import _aliases, _line_site
from intake.extract.layout import BULLET, Layout, Para
from intake.extract.normalize import (
    clean_text,
)
from intake.extract.similarity import (
    _best_similarity,
    _content_words,
    _strip_marks,
    same_word,
    similarity,
    words,
)

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
