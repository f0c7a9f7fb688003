"""When a case's slutrapport is due, and the Swedish business days that move it.

One rule for `casefile show`, `casefile overdue`, the reminders and the staff digest: a case's due
date is the one staff set (`casefile due`), else `reminders.due_after_period_end_days` after the
insats period ends; with `reminders.business_days` it moves to the next business day.

A deadline that falls on a Saturday, a Sunday, a public holiday (lag (1989:253) om allmänna
helgdagar), midsommarafton, julafton or nyårsafton moves to the next weekday (lag (1930:173) om
beräkning av lagstadgad tid, 2 §). The days are computed here rather than taken from the
`holidays` package, whose import loads every country and cost `casefile show` half its time;
tests/outgoing/test_business_days.py compares the two for 1990–2100.

This module imports only the standard library: `casefile show` uses it without the mail code.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from casefile.config import Settings

DueSource = Literal["staff", "period"]


def easter_sunday(year: int) -> dt.date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/
    Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _first_weekday_from(start: dt.date, weekday: int) -> dt.date:
    """The first day on or after `start` that falls on `weekday` (Monday 0)."""
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


_FRIDAY, _SATURDAY = 4, 5


@lru_cache(maxsize=32)
def closed_days(year: int) -> frozenset[dt.date]:
    """The public holidays and the eves the law treats as Sundays, in one year (from 1990: the
    1989 act; weekends are not listed)."""
    easter = easter_sunday(year)
    days = {
        dt.date(year, 1, 1),  # nyårsdagen
        dt.date(year, 1, 6),  # trettondedag jul
        easter - dt.timedelta(days=2),  # långfredagen
        easter,  # påskdagen
        easter + dt.timedelta(days=1),  # annandag påsk
        dt.date(year, 5, 1),  # första maj
        easter + dt.timedelta(days=39),  # Kristi himmelsfärdsdag
        easter + dt.timedelta(days=49),  # pingstdagen
        _first_weekday_from(dt.date(year, 6, 19), _FRIDAY),  # midsommarafton
        _first_weekday_from(dt.date(year, 6, 20), _SATURDAY),  # midsommardagen
        _first_weekday_from(dt.date(year, 10, 31), _SATURDAY),  # alla helgons dag
        dt.date(year, 12, 24),  # julafton
        dt.date(year, 12, 25),  # juldagen
        dt.date(year, 12, 26),  # annandag jul
        dt.date(year, 12, 31),  # nyårsafton
    }
    # SFS 2004:1280: nationaldagen became a holiday in place of annandag pingst.
    if year >= 2005:
        days.add(dt.date(year, 6, 6))  # nationaldagen
    else:
        days.add(easter + dt.timedelta(days=50))  # annandag pingst
    return frozenset(days)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in closed_days(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """The day itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def effective_due(
    settings: Settings, due_date: dt.date | None, period_end: dt.date | None
) -> tuple[dt.date | None, DueSource | None]:
    """The date a case's slutrapport is due, and how it was set: "staff" (`casefile due`) or
    "period" (days after the insats period ends); (None, None) when neither rule gives a date."""
    rules = settings.reminders
    source: DueSource
    if due_date is not None:
        due, source = due_date, "staff"
    elif period_end is not None:
        due = period_end + dt.timedelta(days=rules.due_after_period_end_days)
        source = "period"
    else:
        return None, None
    return (next_business_day(due) if rules.business_days else due), source


def due_source_text(settings: Settings, source: str | None) -> str:
    """How the due date was set, in Swedish, for `casefile show`."""
    if source == "staff":
        return "satt av handläggare"
    if source == "period":
        days = settings.reminders.due_after_period_end_days
        return f"beräknat: {days} dagar efter insatstidens slut"
    return "inget datum: varken satt eller insatstid känd"
