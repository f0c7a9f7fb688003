"""Swedish business days, for report due dates.

A deadline that falls on a Saturday, a Sunday, a public holiday, midsommarafton, julafton or
nyårsafton moves to the next weekday (lag (1930:173) om beräkning av lagstadgad tid, 2 §). The
`holidays` package lists the eves under its "de_facto" category, so both categories are used.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _closed_days(year: int) -> frozenset[dt.date]:
    calendar = holidays.country_holidays("SE", years=year, categories=("public", "de_facto"))
    return frozenset(calendar.keys())


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _closed_days(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """The day itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day
