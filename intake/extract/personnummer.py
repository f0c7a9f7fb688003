"""The personnummer rule, once: where a Swedish personnummer or samordningsnummer stands in a
text, in every spelling a person might type. The exports mask what it finds
(casefile/export/disclosure.py); the report reader suggests secrecy when it finds one that also
passes the Luhn check (`checked_personnummer`, used by findings.py through normalize.py).

The rule (the exports replace what it finds by `[personnummer]`) works on the text with
invisible characters removed (zero-width spaces and joiners, soft hyphens, bidi marks, combining
marks, controls other than whitespace, unassigned code points, Hangul fillers). There a *chain*
is a run of digit *groups* joined by gaps of one to three spaces or separators (any dash, `+`,
dots, `/`). A personnummer is a run of whole groups of a chain holding 10 digits (YYMMDDNNNN) or
12 digits (CCYYMMDDNNNN, century 18, 19 or 20) whose date part has a month 01–12 and a day 01–31
(61–91: samordningsnummer). The Luhn check is *not* asked here: a mistyped number is still a
person's number. Excepted, as they are other numbers:
- a run followed by a separator (no space) and a group of one or two digits: the run is the
  start of a longer date ("2026-01-15–2026-12-31" is a period, not 20260115-2026);
- a run whose gaps are all whitespace and whose groups are thousands (1–3 digits, then
  three by three): an amount ("1 010 150 000 kr").
Where a chain can be read in more than one way ("01.02/850709-9805"), every reading is
masked. So dates (8 digits), diarienummer (SFG 26-01.02), amounts and organisationsnummer
(month 20 or more) are left alone; a 10-digit telephone number that reads as a date is
masked, which is the safe side.

Standard library only: the lowest floor, usable by the reader and the register alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

PNR_MASK = "[personnummer]"

# Characters that separate the parts of a number when typed: every dash (category Pd), plus
# signs, dots and the slash. Whitespace separates too (str.isspace).
_SEPARATORS = "+\u207a\u208a\ufe62\uff0b.\u00b7\u2024\u2027\u2219\uff0e/\uff0f\u2044\u2212"
# Invisible letters that category alone does not catch.
_FILLERS = "\u115f\u1160\u3164\uffa0\u2800"
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me", "Cn", "Co", "Cs"})


def _is_invisible(ch: str) -> bool:
    if ch.isspace():
        return False
    return ch in _FILLERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _is_separator(ch: str) -> bool:
    return ch.isspace() or ch in _SEPARATORS or unicodedata.category(ch) == "Pd"


# A chain: digit groups and short gaps of anything but letters and digits; `_split` then cuts it
# where a gap holds something other than separators (a comma, a parenthesis).
_CHAIN = re.compile(r"\d+(?:[^\w]{1,3}\d+)*")  # gaps of at most three characters
_DIGITS = re.compile(r"\d+")


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text without invisible characters, and where each kept character was."""
    # Each distinct character asked once: most texts have none to remove.
    invisible = {ch for ch in set(text) if _is_invisible(ch)}
    if not invisible:
        return text, list(range(len(text)))
    kept: list[int] = []
    chars: list[str] = []
    for i, ch in enumerate(text):
        if ch not in invisible:
            kept.append(i)
            chars.append(ch)
    return "".join(chars), kept


def _plausible(digits: str) -> bool:
    """Ten or twelve digits whose date part could be a birth date (or samordningsnummer)."""
    if len(digits) == 12:
        if digits[:2] not in ("18", "19", "20"):
            return False
        digits = digits[2:]
    month, day = int(digits[2:4]), int(digits[4:6])
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


def _is_amount(groups: list[str], gaps: list[str]) -> bool:
    return (
        len(groups) > 1
        and all(g.isspace() for g in gaps)
        and 1 <= len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
    )


Chain = tuple[list[tuple[int, int]], list[str]]


def _split(chain: str, offset: int) -> Iterator[Chain]:
    """The digit groups of a chain (skeleton spans) and the gaps between them, cut where a gap
    holds anything but separators."""
    spans: list[tuple[int, int]] = []
    gaps: list[str] = []
    for m in _DIGITS.finditer(chain):
        span = (offset + m.start(), offset + m.end())
        if spans:
            gap = chain[spans[-1][1] - offset : m.start()]
            if not all(_is_separator(c) for c in gap):
                yield spans, gaps
                spans, gaps = [], []
            else:
                gaps.append(gap)
        spans.append(span)
    yield spans, gaps


def _numbers(skeleton: str, spans: list[tuple[int, int]], gaps: list[str]) -> Iterator[
    tuple[int, int]
]:  # fmt: skip
    """Skeleton spans (first digit, one past the last) of every run of whole groups of one
    chain that reads as a personnummer. Runs may overlap ("01.02/850709-9805" reads two ways);
    the caller masks their union, the safe side."""
    texts = [skeleton[a:b] for a, b in spans]
    for i in range(len(spans)):
        total, j = 0, i
        while j < len(spans) and total < 12:
            total += len(texts[j])
            j += 1
            if total in (10, 12) and _reads_as_personnummer(texts, gaps, i, j):
                yield spans[i][0], spans[j - 1][1]


def _reads_as_personnummer(texts: list[str], gaps: list[str], i: int, j: int) -> bool:
    """Whether groups i..j-1 of a chain (10 or 12 digits) are a personnummer."""
    if j < len(texts) and len(texts[j]) <= 2 and not any(c.isspace() for c in gaps[j - 1]):
        return False  # the start of a longer date: 2026-01-15–2026-12-31
    if _is_amount(texts[i:j], gaps[i : j - 1]):
        return False
    return _plausible("".join(str(unicodedata.decimal(c)) for c in "".join(texts[i:j])))


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _found(skeleton: str) -> list[tuple[int, int]]:
    """Skeleton spans of every reading of a personnummer (they may overlap)."""
    found: list[tuple[int, int]] = []
    for m in _CHAIN.finditer(skeleton):
        for spans, gaps in _split(m.group(0), m.start()):
            found.extend(_numbers(skeleton, spans, gaps))
    return found


def personnummer_spans(text: str) -> list[tuple[int, int]]:
    """Where the personnummer are in `text`: (start, end) of each, in the original text."""
    if sum(map(str.isdigit, text)) < 10:
        return []  # most cells: too few digits to hold one
    skeleton, kept = _skeleton(text)
    return [(kept[a], kept[b - 1] + 1) for a, b in _merged(_found(skeleton))]


def mask_personnummer(text: str) -> str:
    """The text with every personnummer replaced by `[personnummer]` (see the module's rule)."""
    spans = personnummer_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for a, b in spans:
        parts.append(text[pos:a])
        parts.append(PNR_MASK)
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


def has_personnummer(text: str) -> bool:
    return bool(personnummer_spans(text))


def skeleton(text: str) -> str:
    """The text without invisible characters (what the rule reads)."""
    return _skeleton(text)[0]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def checked_personnummer(text: str) -> bool:
    """Whether `text` holds a personnummer (the rule above) that is also written as one and
    valid: its last ten digits pass the Luhn check, and ten digits are not bare or parted by
    spaces alone (those are far more often telephone numbers). For a suggestion to staff, where
    a false alarm costs attention; the exports mask without these two conditions."""
    if sum(map(str.isdigit, text)) < 10:
        return False
    skeleton, _ = _skeleton(text)
    for a, b in _found(skeleton):
        reading = skeleton[a:b]
        digits = "".join(str(unicodedata.decimal(c)) for c in reading if c.isdigit())
        if len(digits) == 10 and all(c.isspace() or c.isdigit() for c in reading):
            continue
        if _luhn_ok(digits[-10:]):
            return True
    return False
