"""The staff digest: what needs a person today, mailed to `reminders.staff_address`.

At most one per day (dedupe key "digest:<date>"). Nothing is queued when there is nothing to
report or no staff address, so an empty inbox does not teach staff to ignore the mail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Document, OutboxMail, SourceMessage, utcnow
from casefile.states import (
    INBOX_STATES,
    OUTBOX_PROBLEM_STATES,
    Coded,
    DocumentStatus,
    MailKind,
    OutboxState,
    label_of,
)
from intake.outgoing.content import common
from intake.outgoing.outbox import AUTO_REPLIED, MailRequest, enqueue, find_by_key
from intake.outgoing.reminders import due_date_of, final_reports, open_cases_with_documents
from intake.outgoing.safety import one_line

LIST_LIMIT = 100


def _label(enum: type[Coded], code: str) -> str:
    # The digest goes to Swedish staff by mail: Swedish whatever the terminal's language.
    return label_of(enum, code, swedish=True)


def digest_key(today: dt.date) -> str:
    return f"digest:{today.isoformat()}"


def _unsigned(session: Session) -> list[dict[str, Any]]:
    docs = session.execute(
        select(Document)
        .where(Document.signature.is_(None), Document.cancelled.is_(False))
        .order_by(Document.received_at, Document.id)
        .limit(LIST_LIMIT)
    ).scalars()
    return [
        {
            "diarienummer": d.diarienummer,
            "received_date": d.received_date,
            "title": one_line(d.title, 60) or "–",
            "organisation": one_line(d.organisation, 60) or "–",
            "incomplete": d.status == DocumentStatus.INCOMPLETE,
            # Why staff must look (another party naming the case, the same insats as another).
            "flag": one_line(d.flag, 200),
        }
        for d in docs
    ]


def _quarantined(session: Session, settings: Settings) -> list[dict[str, Any]]:
    zone = settings.registry.zone
    messages = session.execute(
        select(SourceMessage)
        .where(SourceMessage.state.in_(INBOX_STATES))
        .where(SourceMessage.dismissed_at.is_(None))  # casefile dismiss
        .order_by(SourceMessage.internal_date, SourceMessage.id)
        .limit(LIST_LIMIT)
    ).scalars()
    return [
        {
            "id": m.id,
            "date": m.internal_date.astimezone(zone).date(),
            "sender": one_line(m.sender, 60) or "okänd avsändare",
            "subject": one_line(m.subject, 60) or "(inget ämne)",
            "reason": one_line(m.reason, 100),
        }
        for m in messages
    ]


def _overdue(session: Session, settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    rows = []
    for case in open_cases_with_documents(session):
        due = due_date_of(settings, case)
        if due is None or due >= today or final_reports(case):
            continue
        rows.append(
            {
                "number": case.number,
                "due_date": due,
                "days_late": (today - due).days,
                "title": one_line(case.title, 60) or "–",
                "organisation": one_line(case.organisation, 60) or "–",
            }
        )
    return rows[:LIST_LIMIT]


def _mail_problems(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """Failed and uncertain mail until someone acts; suppressed mail once, the day it happens."""
    since = now - dt.timedelta(days=1)
    rows = session.execute(
        select(OutboxMail)
        .where(
            OutboxMail.kind != MailKind.DIGEST,
            or_(
                OutboxMail.state.in_(OUTBOX_PROBLEM_STATES),
                (OutboxMail.state == OutboxState.SUPPRESSED) & (OutboxMail.created_at > since),
            ),
        )
        .order_by(OutboxMail.id)
        .limit(LIST_LIMIT)
    ).scalars()
    return [
        {
            "id": o.id,
            "state_label": _label(OutboxState, o.state),
            "kind": _label(MailKind, o.kind),
            "recipient": o.recipient or "(ingen adress)",
            "reason": one_line(o.last_error, 120) or "–",
        }
        for o in rows
    ]


def digest_context(session: Session, settings: Settings, today: dt.date) -> dict[str, Any]:
    unsigned = _unsigned(session)
    quarantined = _quarantined(session, settings)
    overdue = _overdue(session, settings, today)
    problems = _mail_problems(session, utcnow())
    from intake.auth.expiry import expiry_warnings

    # OAuth2 secrets that expire within 30 days: the office must renew them in time.
    auth_warnings = expiry_warnings(settings, today)
    return {
        **common(settings),
        "html_title": f"Sammanställning {today.isoformat()}",
        "today": today,
        "unsigned": unsigned,
        "quarantined": quarantined,
        "overdue": overdue,
        "mail_problems": problems,
        "auth_warnings": auth_warnings,
        "total": len(unsigned)
        + len(quarantined)
        + len(overdue)
        + len(problems)
        + len(auth_warnings),
    }


def queue_digest(session: Session, settings: Settings, today: dt.date) -> OutboxMail | None:
    """Queue today's digest unless there is no staff address or nothing to report.

    Returns the row (the one already queued today, if any), or None.
    """
    staff = settings.reminders.staff_address
    if not staff:
        return None
    existing = find_by_key(session, digest_key(today))
    if existing is not None:
        return existing
    context = digest_context(session, settings, today)
    if not context["total"]:
        return None
    request = MailRequest(
        kind=MailKind.DIGEST,
        dedupe_key=digest_key(today),
        recipient=staff,
        reference=settings.registry.prefix,
        context=context,
        auto_submitted=AUTO_REPLIED,
        to_staff=True,
    )
    return enqueue(session, settings, request)[0]
