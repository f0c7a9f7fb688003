"""A second report of the same insats from another party: a new case, flagged with the case it
may belong to (matching as a pure function)."""

from __future__ import annotations

import datetime as dt

from casefile.config import RegistrySettings
from casefile.matching import Incoming, OpenCase, match_case, same_insats_flag

REG = RegistrySettings()
END = dt.date(2025, 12, 31)
CASES = [
    OpenCase("SFG 26-03", 2026, 3, "Steget Vidare", "Region Gävleborg", ("eva@region.test",), END),
    OpenCase("SFG 26-04", 2026, 4, "SAFE", "Bollnäs kommun", ("anna@bollnas.test",), END),
]


def report(**changes: object) -> Incoming:
    fields: dict[str, object] = {
        "title": "steget  vidare",
        "organisation": "REGION GÄVLEBORG.",
        "sender": "per@ovanaker.test",
        "period_end": END,
    }
    fields.update(changes)
    return Incoming(**fields)  # type: ignore[arg-type]


def test_same_insats_from_another_party_opens_a_flagged_case() -> None:
    m = match_case(REG, report(), CASES)
    assert (m.number, m.rule, m.same_insats_as) == (None, "new", "SFG 26-03")


def test_the_flag_names_the_case_and_offers_the_move() -> None:
    assert same_insats_flag("SFG 26-03", "SFG 26-07.01") == (
        'samma insats som SFG 26-03? Om så: casefile move "SFG 26-07.01" --to "SFG 26-03"'
    )


def test_decomposed_letters_and_unknown_periods_still_match() -> None:
    nfd = report(organisation="Region Ga\u0308vleborg", period_end=None)
    assert match_case(REG, nfd, CASES).same_insats_as == "SFG 26-03"
    unknown = [OpenCase("SFG 26-03", 2026, 3, "Steget Vidare", "Region Gävleborg", ("e@r.test",))]
    assert match_case(REG, report(), unknown).same_insats_as == "SFG 26-03"


def test_another_period_title_or_organisation_is_another_insats() -> None:
    for other in (
        report(period_end=dt.date(2026, 12, 31)),
        report(title="Steget Vidare 2"),
        report(organisation="Ovanåkers kommun"),
    ):
        m = match_case(REG, other, CASES)
        assert (m.number, m.same_insats_as, m.flag) == (None, None, None), other


def test_the_same_party_joins_the_case_without_a_flag() -> None:
    m = match_case(REG, report(sender="lisa@region.test"), CASES)
    assert (m.number, m.rule, m.same_insats_as, m.flag) == (
        "SFG 26-03",
        "title_organisation",
        None,
        None,
    )
