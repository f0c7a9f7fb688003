"""Bevakning: reminders before and after a case's report due date, and repeated requests for a
completed report.

A case's due date is `Case.due_date` (set with `casefile due`), else `reminders.
due_after_period_end_days` after the insats period ends; with `reminders.business_days` a date
on a weekend or holiday moves to the next business day. Each step of `reminders.steps_days` is
sent at most once (dedupe key per case and step). When a run finds several steps passed, as after
a pause or for a case registered late, only the latest is sent: one mail saying "overdue" is
right, three in one morning are not. Cases with a registered, uncancelled slutrapport get no
reminders; while the newest slutrapport is incomplete, a komplettering is repeated every
`completion_repeat_days`, at most `completion_max_requests` requests in all (the first included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casefile.config import Settings
from casefile.db.models import Case, Document, OutboxMail, utcnow
from casefile.due import effective_due
from casefile.states import CaseStatus, Direction, DocumentStatus, MailKind
from intake.outgoing.compose import Threading
from intake.outgoing.content import komplettering_context, paminnelse_context
from intake.outgoing.outbox import AUTO_REPLIED, MailRequest, completion_key, enqueue

FINAL = "slutrapport"


@dataclass(frozen=True)
class PlannedMail:
    """One mail a reminder run would queue, and why (Swedish, for `casefile remind`)."""

    kind: str
    dedupe_key: str
    case_id: int
    case_number: str
    document_id: int | None
    document_number: str | None
    recipient: str | None
    due_date: dt.date | None
    step_days: int | None
    request_number: int | None
    why: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due_date"] = self.due_date.isoformat() if self.due_date else None
        return data


def due_date_of(settings: Settings, case: Case) -> dt.date | None:
    """When the case's slutrapport is due (casefile/due.py), or None when no rule gives a date."""
    return effective_due(settings, case.due_date, case.period_end)[0]


@dataclass(frozen=True)
class Addressee:
    """Whom a reminder goes to, with what the sending rules (rules.SEND_RULES) need to judge it:
    the verdict on the latest sender's mail when it goes to that sender, or why there is no one.
    """

    address: str | None
    sender_verdict: str | None = None
    missing: str | None = None


def recipient_of(case: Case) -> Addressee:
    """Whom a reminder or a repeated completion request of `case` goes to.

    The confirmed contact (casefile contact), else the address the latest report came from. An
    address read from a form (Case.contact_email) is only a candidate and never gets mail.
    """
    if case.confirmed_contact_email:
        return Addressee(case.confirmed_contact_email)
    incoming = [
        d for d in case.documents if not d.cancelled and d.direction == Direction.IN and d.sender
    ]
    if not incoming:
        return Addressee(
            None, missing="ingen bekräftad kontakt (casefile contact) och ingen avsändare"
        )
    latest = max(incoming, key=lambda d: (d.received_at, d.id))
    return Addressee(latest.sender, sender_verdict=latest.sender_verdict)


def final_reports(case: Case) -> list[Document]:
    return [d for d in case.documents if d.kind == FINAL and not d.cancelled]


def open_cases_with_documents(session: Session) -> list[Case]:
    return list(
        session.execute(
            select(Case)
            .where(Case.status == CaseStatus.OPEN)
            .options(selectinload(Case.documents))
            .order_by(Case.year, Case.serial)
        ).scalars()
    )


def _existing_keys(session: Session, prefix: str) -> set[str]:
    return set(
        session.execute(
            select(OutboxMail.dedupe_key).where(OutboxMail.dedupe_key.like(f"{prefix}%"))
        ).scalars()
    )


def reminder_key(case_id: int, step: int) -> str:
    return f"paminnelse:case:{case_id}:{step}"


def _step_text(step: int) -> str:
    if step < 0:
        return f"{-step} dagar före sista dag"
    if step == 0:
        return "på sista dagen"
    return f"{step} dagar efter sista dag"


def _plan_reminder(
    settings: Settings, case: Case, today: dt.date, sent: set[str]
) -> PlannedMail | None:
    if final_reports(case):
        return None
    due = due_date_of(settings, case)
    if due is None:
        return None
    passed = [
        s for s in sorted(set(settings.reminders.steps_days)) if due + dt.timedelta(s) <= today
    ]
    if not passed:
        return None
    step = passed[-1]
    key = reminder_key(case.id, step)
    if key in sent:
        return None
    skipped = [s for s in passed[:-1] if reminder_key(case.id, s) not in sent]
    why = f"slutrapport saknas; sista dag {due.isoformat()}; steg {_step_text(step)}"
    if skipped:
        why += f" (tidigare steg {', '.join(map(str, skipped))} hoppas över)"
    return PlannedMail(
        kind=MailKind.PAMINNELSE,
        dedupe_key=key,
        case_id=case.id,
        case_number=case.number,
        document_id=None,
        document_number=None,
        recipient=recipient_of(case).address,
        due_date=due,
        step_days=step,
        request_number=None,
        why=why,
    )


def _completion_rows(session: Session, document_id: int) -> list[OutboxMail]:
    return list(
        session.execute(
            select(OutboxMail)
            .where(OutboxMail.kind == MailKind.KOMPLETTERING, OutboxMail.document_id == document_id)
            .order_by(OutboxMail.created_at, OutboxMail.id)
        ).scalars()
    )


def _plan_completion(
    session: Session, settings: Settings, case: Case, today: dt.date
) -> PlannedMail | None:
    reports = final_reports(case)
    if not reports:
        return None
    # Arrival order, not serial: a moved document keeps the serial of its own number.
    newest = max(reports, key=lambda d: (d.received_at, d.id))
    if newest.status != DocumentStatus.INCOMPLETE:
        return None
    rules = settings.reminders
    earlier = _completion_rows(session, newest.id)
    number = len(earlier) + 1
    if number > rules.completion_max_requests:
        return None
    if earlier:
        last = earlier[-1].created_at.astimezone(settings.registry.zone).date()
        if today < last + dt.timedelta(days=rules.completion_repeat_days):
            return None
        why = (
            f"{newest.diarienummer} är fortfarande ofullständig; begäran {number} av "
            f"högst {rules.completion_max_requests}, {rules.completion_repeat_days} dagar "
            f"efter förra ({last.isoformat()})"
        )
    else:
        why = f"{newest.diarienummer} är ofullständig och ingen begäran om komplettering finns"
    return PlannedMail(
        kind=MailKind.KOMPLETTERING,
        dedupe_key=completion_key(newest.id, number),
        case_id=case.id,
        case_number=case.number,
        document_id=newest.id,
        document_number=newest.diarienummer,
        recipient=recipient_of(case).address,
        due_date=None,
        step_days=None,
        request_number=number,
        why=why,
    )


def plan_reminders(session: Session, settings: Settings, today: dt.date) -> list[PlannedMail]:
    """What a reminder run would queue today, and why. Reads only."""
    sent = _existing_keys(session, "paminnelse:case:")
    planned: list[PlannedMail] = []
    for case in open_cases_with_documents(session):
        reminder = _plan_reminder(settings, case, today, sent)
        if reminder is not None:
            planned.append(reminder)
        completion = _plan_completion(session, settings, case, today)
        if completion is not None:
            planned.append(completion)
    return planned


def _request_for(
    session: Session, settings: Settings, plan: PlannedMail, today: dt.date
) -> MailRequest:
    case = session.get_one(Case, plan.case_id)
    addressee = recipient_of(case)
    if plan.kind == MailKind.PAMINNELSE:
        assert plan.due_date is not None
        return MailRequest(
            kind=MailKind.PAMINNELSE,
            dedupe_key=plan.dedupe_key,
            recipient=plan.recipient,
            reference=case.number,
            context=paminnelse_context(settings, case, plan.due_date, today),
            auto_submitted=AUTO_REPLIED,
            case=case,
            sender_verdict=addressee.sender_verdict,
            missing=addressee.missing,
        )
    assert plan.document_id is not None and plan.request_number is not None
    document = session.get_one(Document, plan.document_id)
    earlier = _completion_rows(session, document.id)
    first = earlier[0] if earlier else None
    threading = (
        Threading(in_reply_to=first.message_id, references=first.message_id)
        if first is not None
        else Threading()
    )
    first_date = first.created_at.astimezone(settings.registry.zone).date() if first else None
    return MailRequest(
        kind=MailKind.KOMPLETTERING,
        dedupe_key=plan.dedupe_key,
        recipient=plan.recipient,
        reference=document.diarienummer,
        context=komplettering_context(settings, document, plan.request_number, first_date),
        threading=threading,
        auto_submitted=AUTO_REPLIED,
        case=case,
        document=document,
        sender_verdict=addressee.sender_verdict,
        missing=addressee.missing,
    )


def as_of(settings: Settings, today: dt.date) -> dt.datetime:
    """The moment a run for `today` stamps its mail with: now, moved to `today` if it differs.

    The repeat interval of completion requests is counted from these stamps, so a run for
    another date (`casefile remind --date`, a catch-up after a pause) must record that date.
    """
    now = utcnow()
    local = now.astimezone(settings.registry.zone)
    if local.date() == today:
        return now
    return dt.datetime.combine(today, local.timetz()).astimezone(dt.UTC)


def queue_planned(
    session: Session, settings: Settings, plans: list[PlannedMail], today: dt.date
) -> list[tuple[PlannedMail, OutboxMail]]:
    """Queue the given plans in the caller's transaction; pairs for the rows actually added."""
    queued: list[tuple[PlannedMail, OutboxMail]] = []
    now = as_of(settings, today)
    for plan in plans:
        request = _request_for(session, settings, plan, today)
        row, created = enqueue(session, settings, request, now=now)
        if created:
            queued.append((plan, row))
    return queued


def queue_reminders(session: Session, settings: Settings, today: dt.date) -> list[OutboxMail]:
    """Queue what plan_reminders finds, in the caller's transaction; each mail at most once."""
    plans = plan_reminders(session, settings, today)
    return [row for _plan, row in queue_planned(session, settings, plans, today)]
