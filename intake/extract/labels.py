"""The label vocabulary of a form definition and how a line of text is matched against it:
labels and synonyms compared word by word, the longest first, and what follows a label (a
colon, a date hint such as ÅÅÅÅ-MM-DD, the value)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.extract.forms import FieldDef, FormDef
from intake.extract.similarity import same_word, words

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


def _line_site(text: str, aliases: list[_Alias], y: float, x: float) -> _Site | None:
    """A "Label: value" line (the colon is required: prose may start with a label word)."""
    m = _match_label(text, aliases)
    if m is None:
        return None
    _is_label, value, colon = _label_rest(m.rest)
    if not colon:
        return None
    return _Site(y, x, m.aliases, value, True)
