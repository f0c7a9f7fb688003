"""show's effective due date is moved by the reminders' own business-day rule on every day of
two years, and `casefile show` does not load the holidays of every country to do it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from casefile.config import settings_from_dict
from casefile.due import next_business_day
from casefile.queries import effective_due


def test_business_days_agree_with_the_reminders() -> None:
    settings = settings_from_dict({})
    day = dt.date(2026, 1, 1)
    while day < dt.date(2028, 1, 1):
        assert effective_due(settings, day, None) == (next_business_day(day), "staff"), day
        day += dt.timedelta(days=1)


def test_the_due_date_rule_imports_neither_holidays_nor_the_mail_code() -> None:
    code = (
        "import sys, datetime as dt\n"
        "from casefile.config import settings_from_dict\n"
        "from casefile.queries import effective_due\n"
        "effective_due(settings_from_dict({}), dt.date(2026, 6, 19), None)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('holidays', 'jinja2')"
        " or m.startswith('intake.outgoing.sender')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
