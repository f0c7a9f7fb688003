"""New Year's night: the case year and the arrival date are Swedish time, not UTC."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document
from intake.mail.poll import poll_all
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message

# 23:50 on 31 December 2025 and 00:20 on 1 January 2026 in Stockholm (UTC+1). In the past:
# Dovecot takes no INTERNALDATE later than now.
OLD_YEAR = dt.datetime(2025, 12, 31, 22, 50, tzinfo=dt.UTC)
NEW_YEAR = dt.datetime(2025, 12, 31, 23, 20, tzinfo=dt.UTC)


def test_a_report_at_0020_swedish_time_on_new_years_day_gets_the_new_years_number(
    intake_app: App, account: Account
) -> None:
    """Given one report whose INTERNALDATE is 23:50 Swedish time on 31 December and another
    at 00:20 Swedish time on 1 January (23:20 UTC on 31 December), when both are polled, then
    the first is SFG 25-01.01 of 31 December and the second SFG 26-01.01 of 1 January."""
    for name, when in (
        ("r01_cell_iso_endash.docx", OLD_YEAR),
        ("r05_cell_missing_section8_underspent.docx", NEW_YEAR),
    ):
        raw = bytes(message(subject=name, attachments=[(name, (REPORTS / name).read_bytes())]))
        account.append(raw, when)
    results = poll_all(intake_app)
    assert all(r.ok for r in results), [r.error for r in results]
    with intake_app.sessions() as s:
        docs = s.execute(select(Document).order_by(Document.received_at)).scalars().all()
        got = [(d.diarienummer, d.received_date, d.received_at) for d in docs]
    assert got == [
        ("SFG 25-01.01", dt.date(2025, 12, 31), OLD_YEAR),
        ("SFG 26-01.01", dt.date(2026, 1, 1), NEW_YEAR),
    ]
