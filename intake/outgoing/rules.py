"""When an automatic mail must not be sent, and why (the reason is shown to staff).

The rules follow what RT, Znuny, Zammad and django-helpdesk learnt: never answer automatic mail,
never write to robot addresses, never answer ourselves, and cap what one address can get from us
in a day, so that two robots cannot keep each other busy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import OutboxMail
from casefile.states import COUNTED_OUTBOX_STATES
from intake.mail.classify import is_own_address, is_robot_address


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


def _split(address: str) -> tuple[str, str]:
    """(local part without its +tag, domain), both lower-case: user+1@X.test -> (user, x.test)."""
    local, _, domain = address.strip().lower().rpartition("@")
    base = local.split("+", 1)[0]
    return (base or local), domain


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sent_recently(session: Session, recipient: str, now: dt.datetime) -> int:
    """Automatic mails to `recipient` queued in the last 24 hours (a rolling day).

    Sub-addresses count as one recipient (user+1@, USER+2@ and user@ share one limit), so the
    limit cannot be multiplied by inventing tags."""
    since = now - dt.timedelta(days=1)
    base, domain = _split(recipient)
    lowered = func.lower(OutboxMail.recipient)
    rows = session.execute(
        select(OutboxMail.recipient).where(
            or_(
                lowered == f"{base}@{domain}",
                lowered.like(f"{_like(base)}+%@{_like(domain)}", escape="\\"),
            ),
            OutboxMail.created_at > since,
            OutboxMail.state.in_(COUNTED_OUTBOX_STATES),
        )
    ).scalars()
    # LIKE narrows; the exact rule is _split's.
    return sum(1 for address in rows if _split(address) == (base, domain))


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
    if not to_staff and is_own_address(recipient, settings.smtp.from_address):
        return Verdict.deny("mottagaren är vår egen adress")
    limit = settings.mail.max_per_recipient_per_day
    if sent_recently(session, recipient, now) >= limit:
        return Verdict.deny(f"gränsen {limit} automatiska brev per dygn till {recipient} är nådd")
    return Verdict.ok()
