"""When an automatic mail must not be sent, and why (the reason is shown to staff).

The rules follow what RT, Znuny, Zammad and django-helpdesk learnt: never answer automatic mail,
never write to robot addresses, never answer ourselves, and cap what one address can get from us
in a day, so that two robots cannot keep each other busy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import OutboxMail
from casefile.states import COUNTED_OUTBOX_STATES
from intake.mail.classify import is_robot_address


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None  # Swedish, one line, for staff

    @classmethod
    def ok(cls) -> Verdict:
        return cls(True)

    @classmethod
    def deny(cls, reason: str) -> Verdict:
        return cls(False, reason)


def sent_recently(session: Session, recipient: str, now: dt.datetime) -> int:
    """Automatic mails to `recipient` queued in the last 24 hours (a rolling day)."""
    since = now - dt.timedelta(days=1)
    count = session.execute(
        select(func.count())
        .select_from(OutboxMail)
        .where(
            func.lower(OutboxMail.recipient) == recipient.lower(),
            OutboxMail.created_at > since,
            OutboxMail.state.in_(COUNTED_OUTBOX_STATES),
        )
    ).scalar_one()
    return int(count)


def check_recipient(
    session: Session,
    settings: Settings,
    recipient: str | None,
    now: dt.datetime,
    *,
    answers_automatic: bool = False,
    to_staff: bool = False,
) -> Verdict:
    """May an automatic mail go to `recipient` now? The first rule that forbids it wins."""
    if answers_automatic:
        return Verdict.deny("svarar inte på automatiskt skickad post")
    if recipient is None:
        return Verdict.deny("ingen användbar mottagaradress")
    if is_robot_address(recipient):
        return Verdict.deny(f"{recipient} är en robot- eller no-reply-adress")
    if not to_staff and recipient.lower() == settings.smtp.from_address.lower():
        return Verdict.deny("mottagaren är vår egen adress")
    limit = settings.mail.max_per_recipient_per_day
    if sent_recently(session, recipient, now) >= limit:
        return Verdict.deny(f"gränsen {limit} automatiska brev per dygn till {recipient} är nådd")
    return Verdict.ok()
