"""Bevakning: due dates on business days, each reminder step once, repeated completion requests,
and the staff digest."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from casefile.app import App
from casefile.db.models import Case, Document, OutboxMail
from casefile.due import is_business_day, next_business_day
from casefile.register import cancel_document, register_document
from intake.outgoing import plan_reminders, queue_digest, queue_reminders
from intake.outgoing.reminders import PlannedMail, due_date_of, queue_planned
from tests.outgoing.conftest import build_app, document, outbox, register
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


def plans(app: App, today: dt.date) -> list[PlannedMail]:
    with app.sessions() as s:
        return plan_reminders(s, app.settings, today)


def test_the_plan_names_the_due_date_and_the_step_in_swedish(app: App) -> None:
    """Given a case due Monday 2026-03-16, then `casefile remind` shows for each step whom the
    reminder goes to, the due date and the step in words."""
    case_id = make_case(app, due=dt.date(2026, 3, 16))
    [before] = plans(app, dt.date(2026, 3, 2))
    assert before.as_json() == {
        "kind": "paminnelse",
        "dedupe_key": f"paminnelse:case:{case_id}:-14",
        "case_id": case_id,
        "case_number": "SFG 25-07",
        "document_id": None,
        "document_number": None,
        "recipient": CONTACT,
        "due_date": "2026-03-16",
        "step_days": -14,
        "request_number": None,
        "why": "slutrapport saknas; sista dag 2026-03-16; steg 14 dagar före sista dag",
    }
    remind(app, dt.date(2026, 3, 2))
    assert plans(app, dt.date(2026, 3, 15)) == []
    [on_the_day] = plans(app, dt.date(2026, 3, 16))
    assert on_the_day.why == "slutrapport saknas; sista dag 2026-03-16; steg på sista dagen"
    # The 0 step is skipped when the next run comes after +14: said so, the -14 sent is not.
    [after] = plans(app, dt.date(2026, 3, 30))
    assert (after.step_days, after.why) == (
        14,
        "slutrapport saknas; sista dag 2026-03-16; steg 14 dagar efter sista dag "
        "(tidigare steg 0 hoppas över)",
    )


def test_a_late_run_lists_every_skipped_step_in_order(db_url: str, tmp_path: Path) -> None:
    """Given steps configured out of order and twice, a run long after the due date sends the
    latest step once and lists the others, each once, in order."""
    app = build_app(db_url, tmp_path, reminders={"steps_days": [14, -14, 0, 0, 7]})
    case_id = make_case(app, due=dt.date(2026, 1, 15))
    [plan] = plans(app, dt.date(2026, 3, 2))
    assert (plan.dedupe_key, plan.step_days) == (f"paminnelse:case:{case_id}:14", 14)
    assert plan.why == (
        "slutrapport saknas; sista dag 2026-01-15; steg 14 dagar efter sista dag "
        "(tidigare steg -14, 0, 7 hoppas över)"
    )
    # The day a step falls due counts: 2026-01-22 is +7, 2026-01-21 is not yet.
    assert [p.step_days for p in plans(app, dt.date(2026, 1, 22))] == [7]
    assert [p.step_days for p in plans(app, dt.date(2026, 1, 21))] == [0]


def test_only_open_cases_are_reminded_in_number_order(app: App) -> None:
    """Given three open cases and a closed one all past due, the plan lists the open ones by
    year and serial; the closed case gets nothing."""
    due = dt.date(2026, 3, 16)
    later_case = make_case(app, due=due, serial=9)
    first_case = make_case(app, due=due, serial=8)
    closed = make_case(app, due=due, serial=6)
    with app.sessions() as s, s.begin():
        old = Case(number="SFG 24-12", year=2024, serial=12, confirmed_contact_email=CONTACT,
                   due_date=due)  # fmt: skip
        s.add(old)
        s.get_one(Case, closed).status = "closed"
        s.flush()
        old_id = old.id
    assert [p.case_id for p in plans(app, due)] == [old_id, first_case, later_case]


def test_a_reminder_goes_to_the_sender_of_the_latest_report_when_no_contact_is_confirmed(
    app: App,
) -> None:
    """Given a case without a confirmed contact and several incoming documents, the reminder
    goes to the sender of the latest arrival that is not cancelled, not outgoing and has a
    sender; when that sender failed authentication the mail is kept for staff, with why."""
    make_case(app, due=dt.date(2026, 3, 16), contact=None)

    def add(sender: str | None, day: int, **extra: object) -> int:
        with app.sessions() as s, s.begin():
            report = new_report(kind="delrapport", form_reference="SFG 25-07", sender=sender,
                                received_at=dt.datetime(2026, 2, day, 9, tzinfo=dt.UTC),
                                **extra)  # fmt: skip
            return register_document(s, app.settings, report).id

    add("latest@bollnas.test", 5, sender_verdict="failed")
    add("earlier@bollnas.test", 3)  # registered later, arrived earlier
    add("cancelled@bollnas.test", 7)
    outgoing = add("outgoing@bollnas.test", 8)
    add(None, 9)
    with app.sessions() as s, s.begin():
        cancel_document(s, app.settings, "SFG 25-07.03", "Fel ärende", "AKH")
        s.get_one(Document, outgoing).direction = "out"
    [plan] = plans(app, dt.date(2026, 3, 16))
    assert plan.recipient == "latest@bollnas.test"
    assert len(remind(app, dt.date(2026, 3, 16))) == 1
    [row] = [r for r in outbox(app) if r.kind == "paminnelse"]
    assert (row.recipient, row.state, row.last_error) == (
        "latest@bollnas.test",
        "suppressed",
        "avsändaren kunde inte verifieras (autentiseringen misslyckades)",
    )


def test_a_first_completion_request_is_planned_when_none_was_queued(app: App) -> None:
    """Given an incomplete slutrapport registered without its request (as by staff), the next
    run plans request 1 and says why."""
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report(signed=False))
        doc_id, case_id = doc.id, doc.case_id
    [plan] = plans(app, today_here(app))
    assert plan.as_json() == {
        "kind": "komplettering",
        "dedupe_key": f"komplettering:doc:{doc_id}",
        "case_id": case_id,
        "case_number": "SFG 26-01",
        "document_id": doc_id,
        "document_number": "SFG 26-01.01",
        "recipient": "anna.berg@bollnas.test",
        "due_date": None,
        "step_days": None,
        "request_number": 1,
        "why": "SFG 26-01.01 är ofullständig och ingen begäran om komplettering finns",
    }
    # Queued, it is a first request: it answers nothing and names no earlier date.
    assert remind(app, today_here(app)) == [f"komplettering:doc:{doc_id}"]
    [row] = outbox(app)
    first = parse(row.raw)
    assert first["In-Reply-To"] is None and first["References"] is None
    assert first["Subject"].startswith("[SFG 26-01.01] Komplettering behövs:")
    assert "första gången" not in " ".join(text_of(first).split())


def test_a_repeated_completion_request_says_which_and_when_the_last_was(app: App) -> None:
    register(app, signed=False)
    today = today_here(app)
    [plan] = plans(app, today + dt.timedelta(days=14))
    assert (plan.request_number, plan.dedupe_key.rsplit(":", 1)[1]) == (2, "2")
    assert plan.why == (
        "SFG 26-01.01 är fortfarande ofullständig; begäran 2 av högst 3, 14 dagar efter "
        f"förra ({today.isoformat()})"
    )
    assert plan.recipient == "anna.berg@bollnas.test"


def test_repeat_interval_and_limit_follow_the_settings(db_url: str, tmp_path: Path) -> None:
    """Given completion_repeat_days = 7 and completion_max_requests = 2, the second request goes
    7 days after the first, stamped with that run's date, and no third follows."""
    app = build_app(
        db_url, tmp_path, reminders={"completion_repeat_days": 7, "completion_max_requests": 2}
    )
    register(app, signed=False)
    today = today_here(app)
    assert remind(app, today + dt.timedelta(days=6)) == []
    [plan] = plans(app, today + dt.timedelta(days=7))
    assert plan.why.endswith(f"begäran 2 av högst 2, 7 dagar efter förra ({today.isoformat()})")
    [key] = remind(app, today + dt.timedelta(days=7))
    assert key.endswith(":2")
    second = [r for r in outbox(app) if r.kind == "komplettering"][-1]
    stamped = second.created_at.astimezone(app.settings.registry.zone)
    assert stamped.date() == today + dt.timedelta(days=7)
    assert remind(app, today + dt.timedelta(days=60)) == []


@pytest.fixture(params=["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def host_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's local zone far ahead of and far behind Stockholm: at any hour one of the
    two is on another date than Stockholm."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_a_run_stamps_its_mail_now_or_on_its_own_swedish_date(app: App, host_zone: str) -> None:
    """Given a host in a zone far from Stockholm, a run for today (Swedish date) stamps its mail
    now, and a run for tomorrow stamps it on tomorrow's Swedish date."""
    first = make_case(app, due=dt.date(2020, 3, 16))
    second = make_case(app, due=dt.date(2020, 3, 16), serial=8)
    zone = app.settings.registry.zone
    today = today_here(app)
    before = dt.datetime.now(dt.UTC)
    with app.sessions() as s, s.begin():
        [plan] = [p for p in plan_reminders(s, app.settings, today) if p.case_id == first]
        queue_planned(s, app.settings, [plan], today)
    after = dt.datetime.now(dt.UTC)
    tomorrow = today + dt.timedelta(days=1)
    with app.sessions() as s, s.begin():
        [plan] = plan_reminders(s, app.settings, tomorrow)
        assert plan.case_id == second
        queue_planned(s, app.settings, [plan], tomorrow)
    now_row, tomorrow_row = outbox(app)
    assert before - dt.timedelta(seconds=1) <= now_row.created_at <= after
    assert tomorrow_row.created_at.astimezone(zone).date() == tomorrow


def test_every_repeat_threads_under_the_first_request(app: App) -> None:
    """The third request answers the first (not the second), and says when the first went."""
    register(app, signed=False)
    first = next(r for r in outbox(app) if r.kind == "komplettering")
    today = today_here(app)
    remind(app, today + dt.timedelta(days=14))
    remind(app, today + dt.timedelta(days=28))
    third = parse([r for r in outbox(app) if r.kind == "komplettering"][-1].raw)
    assert third["In-Reply-To"] == first.message_id
    assert third["References"] == first.message_id
    assert third["Auto-Submitted"] == "auto-replied"
    text = " ".join(text_of(third).split())
    assert f"första gången {today.isoformat()}" in text


def test_a_repeat_to_a_sender_who_failed_authentication_is_kept_for_staff(app: App) -> None:
    register(app, signed=False, sender_verdict="failed")
    [key] = remind(app, today_here(app) + dt.timedelta(days=14))
    row = next(r for r in outbox(app) if r.dedupe_key == key)
    assert (row.state, row.last_error) == (
        "suppressed",
        "avsändaren kunde inte verifieras (autentiseringen misslyckades)",
    )


def test_an_older_incomplete_report_registered_after_a_signed_one_asks_for_nothing(
    app: App,
) -> None:
    """Arrival decides which report is the newest: a signed report that arrived on 5 February
    stands, even when an incomplete one that arrived on 3 February is registered after it."""
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report(
            received_at=dt.datetime(2026, 2, 5, 9, tzinfo=dt.UTC)))  # fmt: skip
        register_document(s, app.settings, new_report(
            signed=False, received_at=dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC)))  # fmt: skip
    assert plans(app, today_here(app)) == []


def test_each_report_counts_only_its_own_completion_requests(app: App) -> None:
    """Given two incomplete reports in two cases, each gets its own second request, numbered
    from its own first one."""
    register(app, signed=False)
    register(app, signed=False, title="Lotsen", organisation="Ovanåkers kommun")
    today = today_here(app)
    planned = plans(app, today + dt.timedelta(days=14))
    assert [(p.document_number, p.request_number) for p in planned] == [
        ("SFG 26-01.01", 2),
        ("SFG 26-02.01", 2),
    ]
    assert all(p.why.startswith(f"{p.document_number} är fortfarande") for p in planned)


def test_reminders_and_repeats_are_filed_with_their_case_and_document(app: App) -> None:
    """The outbox rows (and so `casefile show`) name the case of a reminder, and the case and
    document of a repeated completion request."""
    case_id = make_case(app, due=dt.date(2026, 3, 16))
    remind(app, dt.date(2026, 3, 16))
    doc_id, _ = register(app, signed=False)
    key = f"komplettering:doc:{doc_id}:2"
    assert key in remind(app, today_here(app) + dt.timedelta(days=14))
    rows = {r.dedupe_key: r for r in outbox(app)}
    reminder = rows[f"paminnelse:case:{case_id}:0"]
    assert (reminder.case_id, reminder.document_id) == (case_id, None)
    repeat = rows[key]
    assert repeat.document_id == doc_id
    assert repeat.case_id == document(app, doc_id).case_id


def test_the_repeat_interval_counts_in_swedish_days(app: App) -> None:
    """Given a first request queued at 00:30 Swedish time on 2 March (23:30 UTC on 1 March),
    the second is due on 16 March, not 15, and both name 2 March as the first date."""
    doc_id, _ = register(app, signed=False)
    with app.sessions() as s, s.begin():
        first = s.query(OutboxMail).filter_by(kind="komplettering").one()
        first.created_at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert plans(app, dt.date(2026, 3, 15)) == []
    [plan] = plans(app, dt.date(2026, 3, 16))
    assert plan.why.endswith("14 dagar efter förra (2026-03-02)")
    assert remind(app, dt.date(2026, 3, 16)) == [f"komplettering:doc:{doc_id}:2"]
    repeat = parse(outbox(app)[-1].raw)
    assert "första gången 2026-03-02" in " ".join(text_of(repeat).split())


def test_with_acknowledge_verified_an_unverified_sender_gets_no_reminder(
    db_url: str, tmp_path: Path
) -> None:
    """Given mail.acknowledge = verified and a case whose only address is that of a sender who
    could not be verified, the reminder is kept for staff with the reason."""
    app = build_app(db_url, tmp_path, mail={"acknowledge": "verified"})
    make_case(app, due=dt.date(2026, 3, 16), contact=None)
    with app.sessions() as s, s.begin():
        report = new_report(kind="delrapport", form_reference="SFG 25-07",
                            sender_verdict="unknown")  # fmt: skip
        register_document(s, app.settings, report)
    assert len(remind(app, dt.date(2026, 3, 16))) == 1
    [row] = [r for r in outbox(app) if r.kind == "paminnelse"]
    assert (row.recipient, row.state, row.last_error) == (
        "anna.berg@bollnas.test",
        "suppressed",
        "avsändaren är inte verifierad (mail.acknowledge = verified)",
    )
