"""Words and their similarity, as the form interpreter compares them: folded case, diacritics and
punctuation, Swedish endings and one-letter slips forgiven, meaningless words left out."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from intake.extract.forms import SectionDef

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
