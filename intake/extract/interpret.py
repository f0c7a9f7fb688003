"""From a Layout to fields, sections and document type, as a person reads a form.

Nothing here depends on the exact wording of our own form. Headings are found by structure (a
section marker such as 4, 4.1, 7.1.1, A., B.2, 1) or by how they look) and mapped to the form
definition's sections by number first, then by similarity of their titles. Fields are found by a
label vocabulary (labels and synonyms, compared word by word after folding case, diacritics and
punctuation) in every layout forms use. Which form it is comes from the data (forms.py).

Here: the document's type and the choice of definition (how well each fits). The reading
itself is in similarity.py (words), labels.py (the label vocabulary), headings.py (headings and
sections) and field_reader.py (fields); their public names are re-exported from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.extract.field_reader import Funder, RawFields, fields, funder_text
from intake.extract.forms import FormDef
from intake.extract.headings import (
    HeadingAt,
    _split_heading,
    find_headings,
    marker_number,
    sections,
    unread_sections,
)
from intake.extract.labels import _aliases, _label_rest, _match_label
from intake.extract.layout import BULLET, Layout, Para
from intake.extract.similarity import similarity, words

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

__all__ = [
    "Funder",
    "HeadingAt",
    "RawFields",
    "Reading",
    "aliases",
    "choose",
    "document_type",
    "fields",
    "find_headings",
    "funder_text",
    "label_rest",
    "marker_number",
    "match_label",
    "read_with",
    "sections",
    "similarity",
    "split_heading",
    "unread_sections",
    "words",
]
