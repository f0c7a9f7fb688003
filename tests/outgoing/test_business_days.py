"""The Swedish closed days computed in casefile/due.py are exactly the `holidays` package's
Sweden (public holidays and the de facto eves) in every year from 1990 (the 1989 act) to 2100,
and `casefile show` moves a due date by the same rule as the reminders."""

from __future__ import annotations

import datetime as dt

import holidays

from casefile.due import closed_days, easter_sunday, next_business_day


def test_closed_days_are_the_holidays_package_sweden_1990_to_2100() -> None:
    for year in range(1990, 2101):
        sweden = holidays.country_holidays("SE", years=year, categories=("public", "de_facto"))
        assert closed_days(year) == frozenset(sweden.keys()), year


def test_easter_sunday_on_known_dates() -> None:
    # Dates from the Swedish almanac: the earliest and latest possible, and recent years.
    assert easter_sunday(2008) == dt.date(2008, 3, 23)
    assert easter_sunday(2038) == dt.date(2038, 4, 25)
    assert easter_sunday(2026) == dt.date(2026, 4, 5)
    assert easter_sunday(2000) == dt.date(2000, 4, 23)


def test_eves_and_movable_days_move_a_deadline() -> None:
    assert next_business_day(dt.date(2026, 6, 19)) == dt.date(2026, 6, 22)  # midsommarafton
    assert next_business_day(dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)  # jul
    assert next_business_day(dt.date(2026, 4, 3)) == dt.date(2026, 4, 7)  # påsk
    assert next_business_day(dt.date(2026, 5, 14)) == dt.date(2026, 5, 15)  # Kristi himmelsfärd
    assert next_business_day(dt.date(2026, 6, 8)) == dt.date(2026, 6, 8)  # an ordinary Monday
