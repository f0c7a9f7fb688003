"""Bevakning: due dates on business days, each reminder step once, repeated completion requests,
and the staff digest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from casefile.app import App
from casefile.db.models import Case, OutboxMail
from casefile.register import cancel_document, register_document
from intake.outgoing import plan_reminders, queue_digest, queue_reminders
from intake.outgoing.business_days import is_business_day, next_business_day
from intake.outgoing.reminders import due_date_of
from tests.outgoing.conftest import build_app, outbox, register
from tests.outgoing.mailparts import parse, text_of
from tests.register.factories import new_report

CONTACT = "kontakt.person@bollnas.test"


def make_case(
    app: App,
    *,
    due: dt.date | None = None,
    period_end: dt.date | None = None,
    contact: str | None = CONTACT,
    serial: int = 7,
) -> int:
    with app.sessions() as s, s.begin():
        case = Case(number=f"SFG 25-{serial:02d}", year=2025, serial=serial, title="Steg för steg",
                    organisation="Ljusdals kommun", confirmed_contact_email=contact, due_date=due,
                    period_end=period_end)  # fmt: skip
        s.add(case)
        s.flush()
        return case.id


def remind(app: App, today: dt.date) -> list[str]:
    with app.sessions() as s, s.begin():
        return [r.dedupe_key for r in queue_reminders(s, app.settings, today)]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 3, 2)),  # an ordinary Monday
        (dt.date(2026, 3, 7), dt.date(2026, 3, 9)),  # Saturday
        (dt.date(2026, 4, 3), dt.date(2026, 4, 7)),  # Långfredagen, then Annandag påsk
        (dt.date(2026, 6, 19), dt.date(2026, 6, 22)),  # Midsommarafton
        (dt.date(2026, 12, 24), dt.date(2026, 12, 28)),  # Julafton, juldagen, annandag, Sunday
        (dt.date(2026, 12, 31), dt.date(2027, 1, 4)),  # Nyårsafton, nyårsdagen, weekend
        (dt.date(2026, 6, 6), dt.date(2026, 6, 8)),  # Nationaldagen on a Saturday
    ],
)
def test_next_business_day_in_sweden(day: dt.date, expected: dt.date) -> None:
    assert next_business_day(day) == expected
    assert is_business_day(expected)


def test_due_date_from_period_end_moves_to_a_business_day(db_url: str, tmp_path: Path) -> None:
    """60 days after 2026-04-20 is Midsommarafton: due the Monday after, unless switched off."""
    app = build_app(db_url, tmp_path)
    case = Case(number="SFG 25-01", year=2025, serial=1, period_end=dt.date(2026, 4, 20))
    assert due_date_of(app.settings, case) == dt.date(2026, 6, 22)
    plain = build_app(db_url, tmp_path, reminders={"business_days": False})
    assert due_date_of(plain.settings, case) == dt.date(2026, 6, 19)
    case.due_date = dt.date(2026, 12, 24)  # set by hand: wins over the rule, still moved
    assert due_date_of(app.settings, case) == dt.date(2026, 12, 28)


def test_each_reminder_step_is_sent_once(app: App) -> None:
    """Steps -14, 0 and +14 around a due date of Monday 2026-03-16: one mail per step."""
    case_id = make_case(app, due=dt.date(2026, 3, 16))
    assert remind(app, dt.date(2026, 3, 1)) == []
    assert remind(app, dt.date(2026, 3, 2)) == [f"paminnelse:case:{case_id}:-14"]
    assert remind(app, dt.date(2026, 3, 2)) == []
    assert remind(app, dt.date(2026, 3, 10)) == []
    assert remind(app, dt.date(2026, 3, 16)) == [f"paminnelse:case:{case_id}:0"]
    assert remind(app, dt.date(2026, 3, 20)) == []
    assert remind(app, dt.date(2026, 3, 30)) == [f"paminnelse:case:{case_id}:14"]
    assert remind(app, dt.date(2026, 6, 30)) == []
    rows = outbox(app)
    assert [r.recipient for r in rows] == [CONTACT] * 3
    assert all(r.state == "queued" for r in rows)
    late = parse(rows[-1].raw)
    assert late["Subject"].startswith("[SFG 25-07] Försenad slutrapport (senast")
    assert late["Auto-Submitted"] == "auto-replied"
    assert late["In-Reply-To"] is None
    assert "14 dagar försenad" in " ".join(text_of(late).split())


def test_a_late_run_sends_only_the_latest_step(app: App) -> None:
    case_id = make_case(app, due=dt.date(2026, 1, 15))
    with app.sessions() as s:
        [plan] = plan_reminders(s, app.settings, dt.date(2026, 3, 2))
    assert plan.step_days == 14
    assert "hoppas över" in plan.why and "2026-01-15" in plan.why
    assert remind(app, dt.date(2026, 3, 2)) == [f"paminnelse:case:{case_id}:14"]
    assert remind(app, dt.date(2026, 3, 3)) == []


def test_dry_run_plans_without_writing(app: App) -> None:
    make_case(app, due=dt.date(2026, 3, 16))
    with app.sessions() as s:
        plans = plan_reminders(s, app.settings, dt.date(2026, 3, 16))
    assert [(p.kind, p.step_days, p.recipient) for p in plans] == [("paminnelse", 0, CONTACT)]
    assert outbox(app) == []


def test_no_reminders_once_a_slutrapport_is_registered_unless_cancelled(app: App) -> None:
    make_case(app, due=dt.date(2026, 3, 16))
    with app.sessions() as s, s.begin():
        document = register_document(s, app.settings, new_report(form_reference="SFG 25-07"))
        assert document.diarienummer == "SFG 25-07.01"
    assert remind(app, dt.date(2026, 3, 16)) == []
    with app.sessions() as s, s.begin():
        cancel_document(s, app.settings, "SFG 25-07.01", "Fel ärende", "AKH")
    assert len(remind(app, dt.date(2026, 3, 16))) == 1


def test_reminder_without_contact_address_is_kept_for_staff(app: App) -> None:
    make_case(app, due=dt.date(2026, 3, 16), contact=None)
    assert len(remind(app, dt.date(2026, 3, 16))) == 1
    [row] = outbox(app)
    assert (
        row.state == "suppressed"
        and row.last_error == "ingen bekräftad kontakt (casefile contact) och ingen avsändare"
    )


def today_here(app: App) -> dt.date:
    return dt.datetime.now(app.settings.registry.zone).date()


def test_completion_request_repeats_until_the_limit(app: App) -> None:
    """An unsigned report: the first request at registration, then every 14 days, 3 in all."""
    register(app, signed=False)
    first = next(r for r in outbox(app) if r.kind == "komplettering")
    today = today_here(app)
    assert remind(app, today + dt.timedelta(days=13)) == []
    [key2] = remind(app, today + dt.timedelta(days=14))
    assert key2.endswith(":2")
    assert remind(app, today + dt.timedelta(days=20)) == []
    [key3] = remind(app, today + dt.timedelta(days=28))
    assert key3.endswith(":3")
    assert remind(app, today + dt.timedelta(days=60)) == []
    requests = [r for r in outbox(app) if r.kind == "komplettering"]
    assert len(requests) == 3
    assert {r.recipient for r in requests} == {"anna.berg@bollnas.test"}
    repeat = parse(requests[1].raw)
    assert repeat["Subject"].startswith("[SFG 26-01.01] Påminnelse: Komplettering behövs:")
    assert repeat["In-Reply-To"] == first.message_id
    text = " ".join(text_of(repeat).split())
    assert f"första gången {today.isoformat()}" in text
    assert "Datum och namn under Uppgiftslämnare (avsnitt 8)" in text


def test_completion_requests_stop_when_a_completed_version_arrives(app: App) -> None:
    register(app, signed=False)
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report(form_reference="SFG 26-01"))
    assert remind(app, today_here(app) + dt.timedelta(days=30)) == []
    assert [r.kind for r in outbox(app)] == ["kvittens", "komplettering"]


def test_digest_once_a_day_to_staff(db_url: str, tmp_path: Path) -> None:
    app = build_app(db_url, tmp_path, reminders={"staff_address": "registrator@finsam.test"})
    day = dt.date(2026, 3, 2)
    with app.sessions() as s, s.begin():
        assert queue_digest(s, app.settings, day) is None  # nothing to report yet
    register(app)
    with app.sessions() as s, s.begin():
        row = queue_digest(s, app.settings, day)
        assert row is not None and row.dedupe_key == "digest:2026-03-02"
        again = queue_digest(s, app.settings, day)
        assert again is not None and again.id == row.id
    digests = [r for r in outbox(app) if r.kind == "digest"]
    assert len(digests) == 1
    assert digests[0].state == "queued"
    assert parse(digests[0].raw)["Auto-Submitted"] == "auto-replied"


def test_no_digest_without_staff_address(app: App) -> None:
    register(app)
    with app.sessions() as s, s.begin():
        assert queue_digest(s, app.settings, dt.date(2026, 3, 2)) is None
        assert s.query(OutboxMail).filter_by(kind="digest").count() == 0
