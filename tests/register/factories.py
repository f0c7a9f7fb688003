"""Building register input for tests."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from casefile.db.models import SourceMessage
from casefile.register import NewDocument

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))


def new_report(
    title: str = "SAFE",
    organisation: str = "Bollnäs kommun",
    received_at: dt.datetime | None = None,
    signed: bool = True,
    **extra: Any,
) -> NewDocument:
    findings = [] if signed else [{"code": "unsigned", "message": "Avsnitt 8 saknar datum."}]
    base: dict[str, Any] = {
        "kind": "slutrapport",
        "received_at": received_at or dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC),
        "sender": "anna.berg@bollnas.test",
        "subject": f"Slutrapport {title}",
        "title": title,
        "organisation": organisation,
        "fields": {"title": title, "organisation": organisation},
        "findings": findings,
        "submitter_signed": signed,
        "contact_email": "anna.berg@bollnas.test",
    }
    base.update(extra)
    return NewDocument(**base)


def stored_message(
    session: Session,
    uid: int = 7,
    *,
    state: str = "registered",
    when: dt.datetime | None = None,
    mailbox: str = "kontakt",
    folder: str = "INBOX",
    uidvalidity: int = 1,
    **extra: Any,
) -> SourceMessage:
    """A flushed row of a message taken from the intake mailbox (its bytes are not archived)."""
    message = SourceMessage(
        mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, uid=uid, raw_sha256="0" * 64,
        size=10, internal_date=when or dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC),
        state=state, **extra,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message
