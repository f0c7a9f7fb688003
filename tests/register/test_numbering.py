"""Diarienummer formatting and parsing: pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casefile.config import RegistrySettings
from casefile.numbering import (
    NumberParts,
    case_number,
    document_number,
    find_references,
    parse_reference,
)

REG = RegistrySettings()


def test_default_format_matches_the_spec() -> None:
    assert document_number(REG, 2026, 1, 2) == "SFG 26-01.02"
    assert case_number(REG, 2024, 8) == "SFG 24-08"
    assert document_number(REG, 2025, 16, 5) == "SFG 25-16.05"


def test_serials_above_99_keep_all_digits() -> None:
    assert document_number(REG, 2026, 123, 104) == "SFG 26-123.104"


@given(
    year=st.integers(2000, 2099),
    case=st.integers(1, 9999),
    doc=st.integers(1, 9999),
)
def test_parse_inverts_format(year: int, case: int, doc: int) -> None:
    assert parse_reference(REG, document_number(REG, year, case, doc)) == NumberParts(
        year, case, doc
    )
    assert parse_reference(REG, case_number(REG, year, case)) == NumberParts(year, case)


@pytest.mark.parametrize("text", ["", "SFG", "SFG 26", "ABC 26-01", "SFG 26-01.02.03", "26-01"])
def test_parse_rejects_what_is_not_a_number(text: str) -> None:
    assert parse_reference(REG, text) is None


def test_parse_tolerates_case_and_spacing() -> None:
    assert parse_reference(REG, " sfg26-01.02 ") == NumberParts(2026, 1, 2)


def test_configurable_format() -> None:
    reg = RegistrySettings(
        prefix="KS",
        case_format="{prefix} {yyyy}/{case}",
        number_format="{prefix} {yyyy}/{case}-{doc}",
    )
    assert document_number(reg, 2022, 713, 5) == "KS 2022/713-5"
    assert parse_reference(reg, "KS 2022/713-5") == NumberParts(2022, 713, 5)
    assert parse_reference(reg, "KS 2022/713") == NumberParts(2022, 713)


def test_find_references_in_a_subject() -> None:
    found = find_references(REG, "SV: [SFG 26-01.02] Kvittens: SAFE (se även SFG 24-08)")
    assert found == [NumberParts(2026, 1), NumberParts(2024, 8)]
    assert find_references(REG, "XSFG 26-01 is not ours") == []
