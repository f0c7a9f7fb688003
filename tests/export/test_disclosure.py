"""The disclosure rule (casefile/export/disclosure.py), pure: personnummer in every spelling are
masked, other numbers are not, and a secret title never comes through."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casefile.export.common import sek
from casefile.export.disclosure import (
    PNR_MASK,
    SECRET_WORDING,
    Disclosure,
    has_personnummer,
    mask_personnummer,
)

# Text around a number: letters, spaces, punctuation, no digits.
CONTEXT = st.text(alphabet=st.sampled_from(list("abcåäöXYZ :;,()[]!?\"'/-–_\t\n")), max_size=12)
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u034f"]
BETWEEN = ["", "-", "+", "\u2013", "\u2014", "\u2212", "\u2011", " ", " - ", ".", "\u00a0"]
IN_DATE = ["", " ", ".", "-"]
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    """A spelling of a personnummer: 10 or 12 digits, any separator, spaces or dots in the
    date, invisible characters anywhere between digits, any check digit (Luhn or not)."""
    month = draw(st.integers(1, 12))
    day = draw(st.one_of(st.integers(1, 31), st.integers(61, 91)))
    yy = draw(st.integers(0, 99))
    tail = draw(st.integers(0, 9999))
    century = draw(st.sampled_from(["", "18", "19", "20"]))
    sep_date = draw(st.sampled_from(IN_DATE))
    date_part = sep_date.join([f"{century}{yy:02d}", f"{month:02d}", f"{day:02d}"])
    spelled = date_part + draw(st.sampled_from(BETWEEN)) + f"{tail:04d}"
    if draw(st.booleans()):
        spelled = "".join(FULLWIDTH.get(c, c) for c in spelled)
    chars = list(spelled)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(1, len(chars) - 1))
        chars.insert(at, draw(st.sampled_from(INVISIBLE)))
    return "".join(chars)


def digits_of(text: str) -> str:
    return "".join(
        str(unicodedata.decimal(c)) for c in text if unicodedata.decimal(c, None) is not None
    )


@settings(max_examples=400)
@given(personnummer(), CONTEXT, CONTEXT)
def test_every_spelling_of_a_personnummer_is_masked(spelled: str, before: str, after: str) -> None:
    """Given a personnummer spelt any way (10 or 12 digits, hyphen, plus, en dash, none, spaces,
    dots, zero-width and other invisible characters, full-width digits, a failed Luhn check)
    inside any text, then the masked text holds the mask and none of its digits."""
    masked = mask_personnummer(before + spelled + after)
    assert PNR_MASK in masked
    assert digits_of(masked) == ""
    assert has_personnummer(before + spelled + after)


@st.composite
def ordinary_number(draw: st.DrawFn) -> str:
    """What the exports hold that is not a person's number: dates, periods, diarienummer,
    amounts as the exports write them, organisationsnummer."""
    kind = draw(st.sampled_from(["date", "period", "spaced", "number", "amount", "plain", "org"]))
    dates = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))
    if kind == "date":
        return draw(dates).isoformat()
    if kind in ("period", "spaced"):
        dash = "–" if kind == "period" else " – "
        return f"{draw(dates).isoformat()}{dash}{draw(dates).isoformat()}"
    if kind == "number":
        yy, case, doc = (
            draw(st.integers(0, 99)),
            draw(st.integers(1, 999)),
            draw(st.integers(1, 99)),
        )
        return f"SFG {yy:02d}-{case:02d}.{doc:02d}"
    if kind == "amount":
        return sek(draw(st.integers(0, 10**12 - 1))) + " kr"
    if kind == "plain":
        return str(draw(st.integers(0, 10**9 - 1)))
    # Organisationsnummer: the "month" is 20 or more.
    head = draw(st.integers(10, 99))
    month = draw(st.integers(20, 99))
    rest = draw(st.integers(0, 999999))
    return f"{head}{month}{rest:06d}"[:6] + "-" + f"{rest:06d}"[2:]


@settings(max_examples=400)
@given(st.lists(ordinary_number(), min_size=1, max_size=4), CONTEXT)
def test_dates_amounts_and_diarienummer_are_left_alone(numbers: list[str], context: str) -> None:
    text = context + "; ".join(numbers) + context
    assert mask_personnummer(text) == text


@given(st.text(max_size=80))
def test_masking_any_text_is_safe_and_idempotent(text: str) -> None:
    once = mask_personnummer(text)
    assert mask_personnummer(once) == once
    assert not has_personnummer(once)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SFG 26-01.02/850709-9805", "SFG 26-" + PNR_MASK),  # read both ways: both masked
        ("2026-01-15 850709-9805", "2026-01-15 " + PNR_MASK),
        ("2026-01-15–2026-12-31", "2026-01-15–2026-12-31"),
        ("1 010 150 000 kr", "1 010 150 000 kr"),
        ("tel 070-755 99 28", "tel 070-755 99 28"),  # not a date: left alone
    ],
)
def test_edges_of_the_rule(text: str, expected: str) -> None:
    assert mask_personnummer(text) == expected


SECRET = "Utredning om Kalle Svensson"


@given(CONTEXT, CONTEXT)
def test_a_secret_title_never_comes_through(before: str, after: str) -> None:
    """Given a secret document's title anywhere in a cell (a case title taken from it, a reason),
    then the cell shows the public title instead."""
    rule = Disclosure([(SECRET, "Utredning enligt OSL")])
    out = rule.text(before + SECRET + after)
    assert SECRET not in out
    assert "Utredning enligt OSL" in out


def test_secret_wording_and_short_titles() -> None:
    rule = Disclosure([(SECRET, None), ("Ja", "Beslut")])
    assert rule.title(SECRET, True, None) == SECRET_WORDING
    assert rule.title("Annat", True, "Offentlig titel 850709-9805") == "Offentlig titel " + PNR_MASK
    # A title compared folded: spacing, case and invisible characters do not let it through.
    assert rule.text("utredning  om\u200b Kalle SVENSSON") == SECRET_WORDING
    # A short secret title is replaced only where it is the whole cell.
    assert rule.text("Ja") == "Beslut"
    assert rule.text("Jaha, Ja") == "Jaha, Ja"
