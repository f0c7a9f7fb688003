"""Learn a form definition from an office's blank template (`intake form learn`).

Pure functions from a Layout (what the readers make of the template) to a FormDef and its TOML:

- fields: every label of the template that the label vocabulary knows (the shipped definitions'
  labels and synonyms), in every layout forms use (a label cell, "Etikett: ____", "Etikett:"),
  each with its kind from the vocabulary or from the template's own hints (`åååå-mm-dd`, `kr`);
  the labels written in the template come first, the vocabulary's synonyms after them;
- sections: the template's headings (numbers as written, roman numerals as digits; unnumbered
  headings numbered in order), their titles and helper texts (the text printed under a heading,
  or after its question mark on the same line); a heading with sub-sections or only labels under
  it holds no answer;
- title words: the document-type words of the template's first lines.

The TOML written loads with `forms.load_form` as it is (`[extraction] forms`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from intake.extract import interpret
from intake.extract.forms import (
    NUMBER_RE,
    FieldDef,
    FormDef,
    SectionDef,
    builtin,
)
from intake.extract.layout import BULLET, Layout, Para
from intake.extract.normalize import clean_text

# Registration box keys: before the first section, the office's own entries.
_REG_KEYS = frozenset({"reference", "registrar_signature", "received_date"})
# Hints a template prints beside a label.
_DATE_HINT = re.compile(r"(?:åååå|yyyy|ÅÅÅÅ)\s*[-–/]?\s*mm\s*[-–/]?\s*dd", re.IGNORECASE)
_AMOUNT_HINT = re.compile(r"(?:^|[\s(])(?:kr|sek|kronor)\.?\s*\)?\s*$", re.IGNORECASE)
_FILL = re.compile(r"[_.…]{3,}")
_MAX_HELPER = 400


def vocabulary() -> FormDef:
    """Every field label the shipped definitions know, one field per output key (labels in
    order, the office's own form first), with no sections: the learner's dictionary."""
    merged: dict[str, FieldDef] = {}
    for name in ("slutrapport", "generic"):
        for f in builtin(name).fields:
            got = merged.get(f.key)
            if got is None:
                merged[f.key] = FieldDef(f.key, f.labels, f.kind, f.required, "", f.multiple)
            else:
                labels = got.labels + tuple(x for x in f.labels if x not in got.labels)
                merged[f.key] = FieldDef(f.key, labels, got.kind, got.required, "", got.multiple)
    return FormDef("vocabulary", "", "unknown", (), tuple(merged.values()), (), generic=True)


def _label_text(text: str) -> str:
    """The label as printed: without fill-in lines, a trailing colon or a format hint."""
    text = _FILL.sub(" ", text)
    text = text.split(":", 1)[0] if ":" in text else text
    return clean_text(text).strip(" –-")


@dataclass
class _Label:
    text: str  # the label as printed in the template
    y: float
    candidates: list[FieldDef]  # fields it may name, best first
    hint: str  # "date", "amount" or ""


def _labels(layout: Layout, vocab: FormDef) -> list[_Label]:
    aliases = interpret.aliases(vocab)
    out: list[_Label] = []

    def add(text: str, y: float) -> None:
        m = interpret.match_label(text, aliases)
        if m is None:
            return
        rest = _FILL.sub("", m.rest)
        is_label, value, colon = interpret.label_rest(rest)
        hint = "date" if _DATE_HINT.search(text) else ""
        if _AMOUNT_HINT.search(_FILL.sub(" ", text)):
            hint = "amount"
        if not is_label and not (colon and not value) and not hint:
            return  # prose that starts with a label word
        seen: list[FieldDef] = []
        for a in m.aliases:
            if a.field not in seen:
                seen.append(a.field)
        out.append(_Label(_label_text(text), y, seen, hint))

    for cell in layout.cells:
        if cell.paras:
            add(cell.paras[0], cell.y0)
    for p in layout.paras:
        # A label in running text has a colon, a fill-in line or a hint ("Underskrift" alone
        # is a heading).
        if not p.in_cell and len(p.text) <= 120 and (":" in p.text or _FILL.search(p.text)):
            add(p.text, p.y)
    out.sort(key=lambda x: x.y)
    return out


def _kind(f: FieldDef, hint: str) -> str:
    if hint == "date" and f.kind in ("text", "date", "period"):
        return f.kind if f.kind != "text" else "date"
    if hint == "amount" and f.kind == "text":
        return "amount"
    return f.kind


@dataclass
class _Head:
    number: str
    title: str
    helper: str
    index: int
    end: int
    y: float


def _is_fill(text: str) -> bool:
    return not _FILL.sub("", text).strip(" \t:")


def _headings(
    layout: Layout, labels: list[_Label], type_words: list[str], funder: interpret.Funder
) -> list[_Head]:
    blank = FormDef("learn", "", "unknown", (), (), (), generic=True)
    heads = interpret.find_headings(layout, blank)
    label_ys = {round(lb.y, 3) for lb in labels}
    paras = layout.paras
    kept: list[tuple[interpret.HeadingAt, str]] = []
    for h in heads:
        p = paras[h.index]
        if round(p.y, 3) in label_ys or _is_fill(p.text):
            continue  # a label line, not a heading
        title, rest = interpret.split_heading(h.title)
        ws = interpret.words(title)
        title_block = any(any(t in w for t in type_words) for w in ws) or h.index < 2
        if not h.marker and not kept and title_block:
            continue  # the title lines (funder, document type)
        kept.append((h, rest))
    numbered = any(h.marker for h, _ in kept)
    out: list[_Head] = []
    n = 0
    for pos, (h, rest) in enumerate(kept):
        if numbered:
            if not h.marker:
                continue
            number = interpret.marker_number(h.marker)
        else:
            n += 1
            number = str(n)
        if not NUMBER_RE.match(number) or any(x.number == number for x in out):
            continue
        stop = kept[pos + 1][0].index if pos + 1 < len(kept) else len(paras)
        body = [p for p in paras[h.end : stop] if not funder.holds(p.y)]
        helper = _helper(rest, body, label_ys)
        title, _rest = interpret.split_heading(h.title)
        out.append(_Head(number, clean_text(title), helper, h.index, stop, paras[h.index].y))
    return out


def _helper(rest: str, body: list[Para], label_ys: set[float]) -> str:
    texts = [rest] if rest else []
    for p in body:
        if p.in_cell or round(p.y, 3) in label_ys or _FILL.search(p.text):
            continue
        if p.text.startswith(BULLET) and not texts:
            continue
        texts.append(p.text.removeprefix(BULLET))
        if sum(len(t) for t in texts) >= _MAX_HELPER:
            break
    return clean_text(" ".join(texts))[:_MAX_HELPER].strip()


def _type_words() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for t, ws in builtin("generic").document_types.items():
        out[t] = tuple(w for x in ws for w in interpret.words(x))
    return out


def _title(layout: Layout) -> tuple[str, tuple[str, ...], str]:
    """(description, title words, document type) from the template's first lines."""
    types = _type_words()
    head = [p for p in layout.paras[:12] if p.text and not p.in_cell]
    for p in head:
        ws = interpret.words(p.text)
        for kind, needles in types.items():
            found = [w for w in ws if any(n in w for n in needles)]
            if found:
                return clean_text(p.text)[:120], tuple(dict.fromkeys(found)), kind
    first = clean_text(head[0].text)[:120] if head else ""
    return first, (), "unknown"


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_ = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")[:40] or "formular"


def learn(layout: Layout, name: str = "") -> FormDef:
    """A form definition from a blank template's layout."""
    vocab = vocabulary()
    description, title_words, dtype = _title(layout)
    all_type_words = [w for ws in _type_words().values() for w in ws]
    # The funder's own contacts printed on the form (its staff, where to send the report):
    # neither the submitter's labels nor helper text.
    blank = FormDef("learn", "", "unknown", (), (), (), generic=True)
    funder = interpret.funder_text(
        layout, interpret.find_headings(layout, blank), interpret.aliases(vocab)
    )
    labels = [lb for lb in _labels(layout, vocab) if not funder.holds(lb.y)]
    heads = _headings(layout, labels, all_type_words, funder)
    # Which section a label sits under (by position); "" before the first heading.
    starts = [(h.y, h.number) for h in heads]

    def region(y: float) -> str:
        got = ""
        for hy, number in starts:
            if hy <= y:
                got = number
        return got

    fields: list[FieldDef] = []
    used: dict[str, int] = {}
    regions_with_labels: set[str] = set()
    for lb in labels:
        where = region(lb.y)
        regions_with_labels.add(where)
        for f in lb.candidates:
            if f.key in used and not f.multiple:
                # The same key again: the same field printed twice; keep the label as a synonym.
                if len(lb.candidates) == 1:
                    i = used[f.key]
                    old = fields[i]
                    if lb.text not in old.labels:
                        fields[i] = FieldDef(
                            old.key, (*old.labels, lb.text), old.kind, old.required, old.section
                        )
                    break
                continue
            if f.key in used:
                break  # a list field: its label once is enough
            section = "reg" if f.key in _REG_KEYS and not where else where.split(".")[0]
            labels_ = (lb.text, *(x for x in f.labels if x.casefold() != lb.text.casefold()))
            used[f.key] = len(fields)
            fields.append(
                FieldDef(
                    f.key,
                    tuple(x for x in labels_ if x),
                    _kind(f, lb.hint),
                    f.required and f.key not in _REG_KEYS,
                    section,
                    f.multiple,
                    f.key.startswith("submitter_"),
                )
            )
            break
    numbers = [h.number for h in heads]
    sections = []
    for h in heads:
        parent = any(n.startswith(h.number + ".") for n in numbers)
        only_labels = h.number in regions_with_labels
        sections.append(
            SectionDef(h.number, h.title, (), h.helper, answer=not (parent or only_labels))
        )
    tops = {h.number.split(".")[0] for h in heads}
    fields = [
        f if f.section in tops or f.section in ("", "reg") else _no_section(f) for f in fields
    ]
    form_name = _slug(name or description)
    return FormDef(
        form_name,
        description or form_name,
        dtype,
        title_words,
        tuple(fields),
        tuple(sections),
    )


def _no_section(f: FieldDef) -> FieldDef:
    return FieldDef(f.key, f.labels, f.kind, f.required, "", f.multiple, f.last)


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_s(x) for x in items) + "]"


def to_toml(form: FormDef, source: str = "") -> str:
    """The definition as TOML that `forms.load_form` reads back unchanged."""
    lines = [
        f"# Inlärd med `intake form learn` ur {source or 'en tom blankett'}.",
        "# Kontrollera den och lägg den sedan i [extraction] forms.",
        f"name = {_s(form.name)}",
        f"description = {_s(form.description)}",
        f"document_type = {_s(form.document_type)}",
        f"title_words = {_list(form.title_words)}",
    ]
    for f in form.fields:
        lines += ["", "[[fields]]", f"key = {_s(f.key)}", f"labels = {_list(f.labels)}"]
        lines.append(f"kind = {_s(f.kind)}")
        if f.section:
            lines.append(f"section = {_s(f.section)}")
        if f.required:
            lines.append("required = true")
        if f.multiple:
            lines.append("multiple = true")
        if f.last:
            lines.append("last = true")
    for s in form.sections:
        lines += ["", "[[sections]]", f"number = {_s(s.number)}", f"title = {_s(s.title)}"]
        if s.helper:
            lines.append(f"helper = {_s(s.helper)}")
        if not s.answer:
            lines.append("answer = false")
    return "\n".join(lines) + "\n"
