"""Parsers for dates, amounts, phone numbers and identity numbers, with property tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from intake.extract.normalize import (
    clean_text,
    find_email,
    looks_like_personnummer,
    normalize_phone,
    normalize_postal_code,
    parse_amount,
    parse_date,
    parse_period,
    phone_digits,
)

DASHES = st.sampled_from(["-", "–", "—", "‑"])
SPACES = st.sampled_from(["", " ", "  ", "\u00a0"])
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))


def _date_text(d: dt.date, compact: bool, dash: str) -> str:
    return d.strftime("%Y%m%d") if compact else f"{d:%Y}{dash}{d:%m}{dash}{d:%d}"


@given(dates, st.booleans(), DASHES)
def test_date_roundtrip(d: dt.date, compact: bool, dash: str) -> None:
    assert parse_date(_date_text(d, compact, dash)) == d


@given(dates, dates, st.booleans(), st.booleans(), DASHES, DASHES, SPACES, SPACES)
def test_period_roundtrip(
    a: dt.date, b: dt.date, ca: bool, cb: bool, da: str, sep: str, s1: str, s2: str
) -> None:
    text = f"{_date_text(a, ca, da)}{s1}{sep}{s2}{_date_text(b, cb, da)}"
    assert parse_period(text) == (a, b)


def test_period_examples() -> None:
    assert parse_period("20240401 - 20251231") == (dt.date(2024, 4, 1), dt.date(2025, 12, 31))
    assert parse_period("2022-10-01 – 2024-12-31") == (dt.date(2022, 10, 1), dt.date(2024, 12, 31))
    assert parse_period("2022-10-01–2024-12-31") == (dt.date(2022, 10, 1), dt.date(2024, 12, 31))
    assert parse_period("2022-10-01 till 2024-12-31") == (
        dt.date(2022, 10, 1),
        dt.date(2024, 12, 31),
    )
    assert parse_period("2022-10-01") is None
    assert parse_period("20241332 - 20250101") is None
    assert parse_date("2024-02-30") is None


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@given(
    st.integers(min_value=0, max_value=10**10),
    st.sampled_from([" ", "\u00a0", "\u202f", "", "."]),
    st.sampled_from(["", " kr", "kr", " kr.", ":-", " :-", " SEK", " kronor", ",00 kr", ",-"]),
)
def test_amount_roundtrip(n: int, sep: str, suffix: str) -> None:
    assert parse_amount(_grouped(n, sep) + suffix) == n


def test_amount_examples() -> None:
    assert parse_amount("2 842 390 kr") == 2842390
    assert parse_amount("2120000 kr") == 2120000
    assert parse_amount("2\u00a0913\u00a0559:-") == 2913559
    assert parse_amount("1 500 000,50 kr") == 1500001  # rounded to whole kronor
    assert parse_amount("ca 2 miljoner") is None
    assert parse_amount("") is None
    assert parse_amount("12 34 kr") is None  # not a valid grouping


@given(
    st.sampled_from(["070", "073", "0270", "026", "08", "0651"]),
    st.lists(st.integers(min_value=0, max_value=99), min_size=3, max_size=4),
    DASHES,
    st.sampled_from(["", " "]),
)
def test_phone_keeps_digits_and_is_idempotent(
    area: str, groups: list[int], dash: str, pad: str
) -> None:
    number = " ".join(f"{g:02d}" for g in groups)
    text = f"{area}{pad}{dash}{pad}{number}"
    norm = normalize_phone(text)
    assert norm is not None
    assert norm == f"{area}-{number}"
    assert normalize_phone(norm) == norm
    assert phone_digits(text) == area + number.replace(" ", "")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö@", min_size=1, max_size=12))
def test_phone_rejects_words(text: str) -> None:
    assert normalize_phone(text) is None


def test_phone_examples() -> None:
    assert normalize_phone("0270-75000") == "0270-75000"
    assert normalize_phone("070-755 99 28") == "070-755 99 28"
    assert normalize_phone("070 – 123 45 67") == "070-123 45 67"
    assert phone_digits("+46 70 123 45 67") == "0701234567"
    assert normalize_phone("12") is None


def test_text_cleaning() -> None:
    assert clean_text("  a\u00a0\u00a0b\n c ") == "a b c"
    assert clean_text("Va\u0308stera\u030a") == "Västerå"
    assert clean_text("\ufb01nansiering") == "finansiering"
    assert clean_text("ko\u00admmun") == "kommun"


def test_small_values() -> None:
    assert find_email("E-post: Maja.Eklind@Exempel.se.") == "Maja.Eklind@Exempel.se"
    assert find_email("ingen adress") is None
    assert normalize_postal_code("80310") == "803 10"
    assert normalize_postal_code("SE-826 32") == "826 32"
    assert normalize_postal_code("8263") is None


def test_personnummer() -> None:
    assert looks_like_personnummer("Deltagaren 811218-9876 har samtyckt.")
    assert looks_like_personnummer("19811218-9876")
    assert not looks_like_personnummer("811218-9875")  # wrong check digit
    assert not looks_like_personnummer("Insatstid 20240401 - 20251231")
    assert not looks_like_personnummer("Ring 0701234567")


def test_personnummer_one_rule_for_the_suggestion_and_the_exports() -> None:
    """The suggestion reads the spellings the exports mask (en dash, dots, zero-width space,
    a space around the dash), still asks the Luhn check, and never flags what is not masked."""
    from intake.extract.personnummer import has_personnummer

    for spelled in ("811218–9876", "811218.9876", "8112\u200b18-9876", "811218 - 9876"):
        assert looks_like_personnummer(f"Deltagare {spelled} har samtyckt."), spelled
    assert not looks_like_personnummer("Deltagare 811218–9875 har samtyckt.")  # Luhn fails
    assert not looks_like_personnummer("Ring 070 123 45 67")  # spaces alone: a phone number
    for text in ("19811218-9876", "811218-9876", "811218+9876", "Ring 0701234567"):
        assert not looks_like_personnummer(text) or has_personnummer(text), text
