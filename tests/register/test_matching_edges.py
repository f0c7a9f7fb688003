"""Case matching at its edges: what the mutation run showed the other tests left open."""

from __future__ import annotations

from casefile.config import RegistrySettings
from casefile.matching import Incoming, OpenCase, match_case, normalise_key
from casefile.numbering import NumberParts, find_references, parse_reference

REG = RegistrySettings()
CASES = [
    OpenCase("SFG 24-08", 2024, 8, "SAFE", "Bollnäs kommun"),
    OpenCase("SFG 25-16", 2025, 16, "Kärnhuset 2.0", ""),
]


def test_normalised_key_is_exact_lower_case_single_spaced_and_trimmed() -> None:
    assert normalise_key("  Kärnhuset\u00a0\u202f 2.0 – ") == "kärnhuset 2.0"
    assert normalise_key("Lotsen.") == "lotsen"
    assert normalise_key("SAFE;") == "safe"


def test_a_form_box_with_text_around_the_number_still_names_the_case() -> None:
    """Given the Diarienummer box says 'Dnr: SFG 24-08.04 (vår ansökan)', the case is found."""
    m = match_case(REG, Incoming(form_reference="Dnr: SFG 24-08.04 (vår ansökan)"), CASES)
    assert (m.number, m.rule) == ("SFG 24-08", "form_reference")


def test_a_title_without_an_organisation_is_not_enough() -> None:
    """Both title and organisation must be known: a title alone does not pick a case, even one
    whose organisation is also blank."""
    m = match_case(REG, Incoming(title="Kärnhuset 2.0", organisation=""), CASES)
    assert (m.number, m.rule) == (None, "new")


def test_a_lower_case_reference_names_the_case_in_the_subject_and_the_form_box() -> None:
    """People type 'sfg 24-08' as often as 'SFG 24-08'."""
    assert match_case(REG, Incoming(subject="Re: sfg 24-08.02"), CASES).number == "SFG 24-08"
    assert match_case(REG, Incoming(form_reference="sfg 24-08.04"), CASES).number == "SFG 24-08"
    assert match_case(REG, Incoming(form_reference="sfg 24-08"), CASES).number == "SFG 24-08"


def test_parse_reference_takes_lower_case_case_and_document_numbers() -> None:
    assert parse_reference(REG, "sfg 24-08") == NumberParts(2024, 8)
    assert parse_reference(REG, " sfg 24-08.04 ") == NumberParts(2024, 8, 4)
    assert find_references(REG, "sv: sfg 25-16 och SFG 24-08") == [
        NumberParts(2025, 16),
        NumberParts(2024, 8),
    ]


def test_a_document_number_in_the_form_box_names_its_own_case_in_any_allowed_format() -> None:
    """Given an office whose document numbers put the document's serial before the case's
    ('SFG 24-03/08': document 3 of case 8, which the configuration allows), when the form's
    Diarienummer box holds such a number, then it files into case 8, not into case 3, which the
    start of the number also looks like."""
    reg = RegistrySettings(number_format="{prefix} {yy}-{doc:02d}/{case:02d}")
    cases = [*CASES, OpenCase("SFG 24-03", 2024, 3, "Lotsen", "Ovanåkers kommun")]
    m = match_case(reg, Incoming(form_reference="SFG 24-03/08"), cases)
    assert (m.number, m.rule) == ("SFG 24-08", "form_reference")
