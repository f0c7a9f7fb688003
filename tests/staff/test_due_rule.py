"""show's effective due date agrees with the reminders' own rule on every day of two years."""

from __future__ import annotations

import datetime as dt

from casefile.queries import _next_business_day
from intake.outgoing.business_days import next_business_day


def test_business_days_agree_with_the_reminders() -> None:
    day = dt.date(2026, 1, 1)
    while day < dt.date(2028, 1, 1):
        assert _next_business_day(day) == next_business_day(day), day
        day += dt.timedelta(days=1)
