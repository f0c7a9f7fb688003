"""README promise: a subject tag files into that case, and only that case.

Serials repeat every year (SFG 25-03 and SFG 26-03 both exist), so the year of the tag must
count. Checked to fail when matching ignores the year (see tests/MUTANTS.md).
"""

from __future__ import annotations

import datetime as dt

from casefile.app import App
from casefile.register import register_document
from tests.register.factories import new_report

LAST_YEAR = dt.datetime(2025, 5, 6, 10, 0, tzinfo=dt.UTC)
THIS_YEAR = dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC)


def _register(app: App, **report: object) -> str:
    with app.sessions() as s, s.begin():
        return register_document(s, app.settings, new_report(**report)).diarienummer  # type: ignore[arg-type]


def _three_cases(app: App, when: dt.datetime, prefix: str) -> list[str]:
    return [_register(app, title=f"{prefix} {n}", received_at=when) for n in range(1, 4)]


def test_a_tag_of_this_year_does_not_file_into_last_years_case_with_the_same_serial(
    app: App,
) -> None:
    """Given SFG 25-03 open and no SFG 26-03, when a report's subject names [SFG 26-03.01],
    then it is not filed into SFG 25-03 (a new case is opened)."""
    assert _three_cases(app, LAST_YEAR, "Förra")[-1] == "SFG 25-03.01"
    number = _register(
        app, title="Ny insats", subject="Re: [SFG 26-03.01] Kvittens", received_at=THIS_YEAR
    )
    assert number == "SFG 26-01.01"


def test_a_tag_files_into_the_case_of_its_own_year(app: App) -> None:
    """Given SFG 25-03 and SFG 26-03 both open, [SFG 26-03.01] files into SFG 26-03 and
    [SFG 25-03.01] into SFG 25-03."""
    _three_cases(app, LAST_YEAR, "Förra")
    assert _three_cases(app, THIS_YEAR, "Nya")[-1] == "SFG 26-03.01"
    later = THIS_YEAR + dt.timedelta(days=1)
    assert _register(app, title="X", subject="[SFG 26-03.01]", received_at=later) == "SFG 26-03.02"
    assert _register(app, title="Y", subject="[SFG 25-03.01]", received_at=later) == "SFG 25-03.02"
