"""Case matching rules, as a pure function."""

from __future__ import annotations

from casefile.config import RegistrySettings
from casefile.matching import Incoming, OpenCase, match_case, normalise_key

REG = RegistrySettings()
CASES = [
    OpenCase("SFG 24-08", 2024, 8, "SAFE", "Bollnäs kommun"),
    OpenCase("SFG 25-16", 2025, 16, "Kärnhuset 2.0", "Region Gävleborg"),
    OpenCase("SFG 26-01", 2026, 1, "SAFE", "Bollnäs kommun"),
]


def test_reply_to_our_mail_wins_over_everything() -> None:
    incoming = Incoming(subject="SFG 25-16", replied_cases=("SFG 24-08",), title="Kärnhuset 2.0")
    assert match_case(REG, incoming, CASES).number == "SFG 24-08"
    assert match_case(REG, incoming, CASES).rule == "reply"


def test_subject_naming_a_case() -> None:
    m = match_case(REG, Incoming(subject="Re: [SFG 25-16.02] Kvittens"), CASES)
    assert (m.number, m.rule) == ("SFG 25-16", "subject")


def test_subject_naming_an_unknown_case_falls_through() -> None:
    m = match_case(REG, Incoming(subject="SFG 19-99", title="Nytt", organisation="X"), CASES)
    assert (m.number, m.rule) == (None, "new")


def test_form_reference_box() -> None:
    m = match_case(REG, Incoming(form_reference="SFG 24-08.04"), CASES)
    assert (m.number, m.rule) == ("SFG 24-08", "form_reference")


def test_title_and_organisation_pick_the_newest_open_case() -> None:
    m = match_case(REG, Incoming(title="safe", organisation="BOLLNÄS  kommun"), CASES)
    assert (m.number, m.rule) == ("SFG 26-01", "title_organisation")


def test_title_alone_is_not_enough() -> None:
    m = match_case(REG, Incoming(title="SAFE", organisation="Ockelbo kommun"), CASES)
    assert m.number is None


def test_decomposed_letters_match_composed() -> None:
    decomposed = "Ka\u0308rnhuset 2.0"
    assert normalise_key(decomposed) == normalise_key("Kärnhuset 2.0")
    m = match_case(REG, Incoming(title=decomposed, organisation="Region Gävleborg"), CASES)
    assert m.number == "SFG 25-16"


def test_closed_cases_are_not_offered() -> None:
    m = match_case(REG, Incoming(subject="SFG 24-08"), [c for c in CASES if c.serial != 8])
    assert m.number is None
