"""Repairs of what tesseract typically gets wrong on this form, each kept only where the result
then validates (issue 27).

Word level (before the form reader sees the words):
- `@` read as `Q`, `QQ`, `©` or `(a)` inside an e-mail address;
- the date hint `åååå-mm-dd` read as `4aaa-mm-dd` (so the label is found);
- Swedish letters lost or misread (`Valfard`, `Arbetsférmedlingen`): a word becomes the one
  word of the vocabulary (the form definitions' words, the document's own words read with
  their letters, and the public bodies reports name as partners) that it differs from only in
  `a/å/ä`, `o/ö` and `é/ö`.

Field level (after reading, on values that did not parse):
- amounts whose digit groups OCR joined or split (`2513 559 kr`, `2,513,559 kr`);
- dates and periods with a letter for a digit (`2O24-12-3l`).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from intake.extract.normalize import (
    find_email,
    parse_amount,
    parse_date,
    parse_period,
)

# Public bodies and words that reports name and that OCR's English model strips of their
# letters; the document's own words and the form's words are added per page.
BUILTIN_VOCABULARY = (
    "Arbetsförmedlingen",
    "Försäkringskassan",
    "Kriminalvården",
    "Migrationsverket",
    "Socialtjänsten",
    "Samordningsförbundet",
    "Vårdcentral",
    "Vårdcentralen",
    "Välfärd",
    "Förvaltning",
    "Utbildningsförvaltningen",
    "Socialförvaltningen",
    "Arbetsmarknadsförvaltningen",
    "Länsstyrelsen",
    "Högskolan",
    "Folkhögskola",
    "Studieförbundet",
    "Försörjningsstöd",
    "Öppenvård",
    "Öppenvården",
)

# Letters OCR confuses in Swedish words: each maps to the letters it may stand for.
_ALTERNATIVES: dict[str, str] = {
    "a": "aäå",
    "o": "oö",
    "é": "éeö",
    "è": "eö",
    "á": "aäå",
    "à": "aäå",
    "ó": "oö",
    "ò": "oö",
    "A": "AÄÅ",
    "O": "OÖ",
}
_MAX_CHOICES = 256  # a word with more ambiguous letters is left as read
_MIN_LEN = 5  # shorter words pair up too often ("vara"/"våra", "fora"/"föra")

_EMAIL_AT = re.compile(
    r"^(?P<local>[A-Za-z0-9][\w.+-]*?)(?:QQ|Q|©|\(a\)|\(at\)|@@)"
    r"(?P<domain>[A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.[A-Za-z]{2,6})(?P<tail>[.,;]?)$"
)
_DATE_HINT = re.compile(r"^[\w]{3,6}([-–—])mm\1?[-–—]?dd$", re.IGNORECASE)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def vocabulary(texts: Iterable[str]) -> dict[str, str]:
    """Folded word -> the word with its Swedish letters, for words that have any (a folded
    form two words share is dropped: the repair must be unambiguous)."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", text):
            if len(word) < _MIN_LEN or not re.search("[åäöÅÄÖ]", word):
                continue
            low = word.casefold()
            key = _fold(low)
            if out.get(key, low) != low:
                clash.add(key)
            out[key] = low
    for key in clash:
        out.pop(key, None)
    return out


def _choices(core: str) -> Iterable[str]:
    options = [_ALTERNATIVES.get(c, c) for c in core]
    if math.prod(len(o) for o in options) > _MAX_CHOICES:
        return ()
    return ("".join(p) for p in itertools.product(*options))


def _with_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def repair_word(text: str, vocab: Mapping[str, str]) -> str:
    """One OCR word repaired (see the module's docstring), else as read."""
    if "@" not in text:
        m = _EMAIL_AT.match(text)
        if m is not None:
            fixed = f"{m['local']}@{m['domain']}{m['tail']}"
            if find_email(fixed) == f"{m['local']}@{m['domain']}":
                return fixed
    if _DATE_HINT.match(text) and not text.casefold().startswith("åååå"):
        return "åååå-mm-dd"
    m2 = re.match(r"^(\W*)([^\W\d_]+)(\W*)$", text)
    if m2 is None or len(m2[2]) < _MIN_LEN:
        return text
    core = m2[2]
    if re.search("[äåöÄÅÖ]", core) or not re.search("[aoéèáàóòAO]", core):
        return text
    low = core.casefold()
    if _fold(low) in vocab and vocab[_fold(low)] == low:
        return text
    hits = {vocab[_fold(c)] for c in _choices(low) if vocab.get(_fold(c)) == c}
    if len(hits) != 1:
        return text
    return m2[1] + _with_case(hits.pop(), core) + m2[3]


# --- field values that did not parse -------------------------------------------------------

_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "!": "1"})
_DATE_LIKE = re.compile(r"[\dOoDlI|!]{4}\s?[-–—./]\s?[\dOoDlI|!]{1,2}\s?[-–—./]\s?[\dOoDlI|!]{1,2}")
_AMOUNT_SHAPE = re.compile(
    r"^(?:sek|kr\.?)?\s*(?P<num>\d[\d .,]*\d|\d)(?P<dec>,\d{2}|,-{1,2})?\s*"
    r"(?:kr\.?|kronor|sek)?\s*(?::-)?\.?$",
    re.IGNORECASE,
)


def repair_amount(raw: str) -> int | None:
    """Whole kronor from an amount whose digit groups OCR broke: `2513 559 kr`,
    `2,513,559 kr`, `2 513.559`. Every group after the first must have three digits."""
    m = _AMOUNT_SHAPE.match(raw.strip())
    if m is None:
        return None
    groups = re.split(r"[ .,]+", m["num"])
    if len(groups) < 2 or any(len(g) != 3 for g in groups[1:]) or len(groups[0]) > 6:
        return None
    value = parse_amount("".join(groups) + (m["dec"] or "") + " kr")
    return value


def _digits_in_dates(raw: str) -> str:
    return _DATE_LIKE.sub(lambda m: m.group(0).translate(_DIGITISH), raw)


def repair_fields(
    values: dict[str, Any], unparsed: dict[str, str], kinds: Mapping[str, str]
) -> list[str]:
    """Values that did not parse, repaired in place where the repair parses; returns the keys
    repaired. `kinds`: field key -> kind (the form definition's)."""
    repaired: list[str] = []
    for key, raw in list(unparsed.items()):
        kind = "period" if key == "period_start" else kinds.get(key, "")
        if kind == "amount":
            amount = repair_amount(raw)
            if amount is not None:
                values[key] = amount
        elif kind == "date":
            d = parse_date(_digits_in_dates(raw))
            if d is not None:
                values[key] = d.isoformat()
        elif kind == "period":
            p = parse_period(_digits_in_dates(raw))
            if p is not None and p[0] is not None and p[1] is not None and p[0] <= p[1]:
                values["period_start"], values["period_end"] = p[0].isoformat(), p[1].isoformat()
                key = "period_start"
        elif kind == "email":
            words = [repair_word(w, {}) for w in raw.split()]
            email = find_email(" ".join(words))
            if email is not None:
                values[key] = email
        if values.get(key) is not None:
            del unparsed[key]
            repaired.append(key)
    return repaired
