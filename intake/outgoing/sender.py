"""Delivering the outbox, at most once.

The guarantee: an automatic mail is handed to the mail server at most once, unless a person
decides otherwise. Each row goes through short transactions of its own:

1. Claim: ``UPDATE outbox SET state='sending' … WHERE id=:id AND state='queued'`` and commit.
   Only the process whose UPDATE changed the row sends it, so several flushers can run at once.
   The Message-ID and the complete message were stored when the row was queued, so what is sent
   is exactly what the database holds.
2. Hand the stored bytes to the transport (SMTP, or the .eml folder).
3. Record the outcome: "sent"; back to "queued" with a later next_attempt_at for a temporary
   failure (4xx, server unreachable, a dropped connection before DATA); "failed" for a 5xx or
   when retries run out.

If the process dies between 2 and 3 the row stays in "sending". Such a row is never picked up
again by a flusher: at service start `recover_interrupted` turns it into "uncertain", which staff
see (``casefile outbox``, the daily digest) and can requeue after checking whether it arrived.
The same holds when the connection breaks while the message itself is being transferred (DATA):
the server may have it, so the row becomes "uncertain" rather than being retried. We prefer a
rare missing acknowledgement, which staff are told about, to a duplicate sent behind their back.
(Even then the recipient's copy would carry the same Message-ID, which many systems de-duplicate.)
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from casefile.config import Settings
from casefile.db.models import Event, OutboxMail, utcnow
from casefile.errors import UserError
from casefile.states import REQUEUEABLE_STATES, OutboxState
from intake.outgoing.transport import (
    LoginFailure,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    UncertainDelivery,
)

log = logging.getLogger(__name__)


def open_transport(settings: Settings) -> Transport:
    """The transport `[smtp] transport` names. Here, above transport.py (SMTP, folder) and
    graph_transport.py (Graph), so that neither of those imports the other back."""
    from intake.auth.backoff import for_settings as login_backoff
    from intake.outgoing.delivery import for_settings as delivery_record
    from intake.outgoing.transport import FolderTransport, SmtpTransport

    deliveries = delivery_record(settings)
    if settings.smtp.transport == "folder":
        return FolderTransport(settings.smtp.folder, deliveries)
    if settings.smtp.transport == "graph":
        from intake.outgoing.graph_transport import GraphTransport

        return GraphTransport(settings, deliveries)
    smtp = settings.smtp
    oauth2 = settings.oauth2.get(smtp.oauth2) if smtp.auth == "oauth2" else None
    return SmtpTransport(smtp, oauth2, login_backoff(settings), deliveries=deliveries)


MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class FlushResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0


@dataclass(frozen=True)
class Claimed:
    id: int
    raw: bytes
    recipient: str
    message_id: str
    attempts: int
    case_id: int | None
    document_id: int | None


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """Doubling delays from mail.retry_base_seconds, at most six hours apart."""
    delay = dt.timedelta(seconds=settings.mail.retry_base_seconds * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _event(session: Session, actor: str, action: str, row: Claimed, **detail: Any) -> None:
    session.add(
        Event(
            actor=actor,
            action=action,
            case_id=row.case_id,
            document_id=row.document_id,
            detail={"outbox_id": row.id, "message_id": row.message_id, **detail},
        )
    )


def _claim(sessions: sessionmaker[Session], row_id: int, now: dt.datetime) -> Claimed | None:
    with sessions() as session, session.begin():
        result = session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.id == row_id,
                OutboxMail.state == OutboxState.QUEUED,
                OutboxMail.next_attempt_at <= now,
            )
            # next_attempt_at doubles as "sending since" while the row is claimed.
            .values(
                state=OutboxState.SENDING, attempts=OutboxMail.attempts + 1, next_attempt_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            return None
        row = session.get_one(OutboxMail, row_id)
        return Claimed(
            id=row.id,
            raw=row.raw,
            recipient=row.recipient,
            message_id=row.message_id,
            attempts=row.attempts,
            case_id=row.case_id,
            document_id=row.document_id,
        )


def _finish(
    sessions: sessionmaker[Session],
    settings: Settings,
    row: Claimed,
    action: str | None,
    **values: Any,
) -> None:
    with sessions() as session, session.begin():
        session.execute(
            update(OutboxMail)
            # "uncertain" too: a recovery run may have marked a row that was still in flight.
            .where(
                OutboxMail.id == row.id,
                OutboxMail.state.in_((OutboxState.SENDING, OutboxState.UNCERTAIN)),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if action:
            _event(
                session,
                settings.registry.bot_actor,
                action,
                row,
                error=values.get("last_error"),
            )


class _Pace:
    """`mail.max_per_minute` as an even spacing: the next mail goes no sooner than 60/N seconds
    after the previous one was handed over (its `sent_at`, the last attempt of any flusher)."""

    def __init__(self, per_minute: int, last: dt.datetime | None) -> None:
        self.gap = dt.timedelta(seconds=60 / per_minute) if per_minute > 0 else None
        self.last = last

    def wait(self, stop: threading.Event | None) -> bool:
        """Sleep to the next allowed slot; False when a shutdown came first."""
        if self.gap is not None and self.last is not None:
            left = (self.last + self.gap - utcnow()).total_seconds()
            if left > 0:
                if stop is not None:
                    return not stop.wait(left)
                time.sleep(left)
        return stop is None or not stop.is_set()


def _due(sessions: sessionmaker[Session], now: dt.datetime, limit: int) -> list[int]:
    with sessions() as session:
        return list(
            session.execute(
                select(OutboxMail.id)
                .where(OutboxMail.state == OutboxState.QUEUED, OutboxMail.next_attempt_at <= now)
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(limit)
            ).scalars()
        )


def _last_sent(sessions: sessionmaker[Session]) -> dt.datetime | None:
    with sessions() as session:
        last = session.execute(select(func.max(OutboxMail.sent_at))).scalar_one_or_none()
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=dt.UTC)
    return last


_BATCH = 100  # due rows read at a time


def flush_outbox(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: dt.datetime | None = None,
    limit: int = 0,
    stop: threading.Event | None = None,
) -> FlushResult:
    """Deliver due rows until none is left (or `limit` rows, when not 0); one connection, one
    short transaction per state change. Due rows are read again while mail is due, so a backlog,
    or mail queued while this run sends, leaves in this run rather than one batch per outbox
    interval; `mail.max_per_minute` spaces the mails, sleeping to the next allowed slot. The run
    also ends when the server is unreachable or refuses our login, or when `stop` is set
    (service shutdown). A fixed `now` (tests) reads the due rows as of that moment."""
    result = FlushResult()
    # Each row at most once a run: a row requeued by a person or retried soon waits for the next.
    seen: set[int] = set()

    def due() -> list[int]:
        done = result.sent + result.retried + result.failed + result.uncertain
        batch = _BATCH if not limit else min(_BATCH, limit - done)
        if batch <= 0:
            return []
        rows = _due(sessions, now or utcnow(), batch + len(seen))
        fresh = [row_id for row_id in rows if row_id not in seen][:batch]
        seen.update(fresh)
        return fresh

    rows = due()
    if not rows:
        return result
    pace = _Pace(settings.mail.max_per_minute, _last_sent(sessions))
    # RFC 3834: automatic mail has the null reverse-path <>, unless a bounce address is set.
    sender = settings.mail.envelope_from
    with open_transport(settings) as transport:
        while rows:
            for row_id in rows:
                waiting = transport.login_waiting()
                if waiting:
                    # Our login was refused: the mail is fine, so claim nothing and count
                    # nothing; `intake status` says SMTP is failing.
                    log.info("outbox: not sending: %s", waiting)
                    return result
                if not pace.wait(stop):
                    return result
                if not _send_one(sessions, settings, transport, sender, row_id, now, pace, result):
                    return result
            rows = due()
    return result


def _send_one(
    sessions: sessionmaker[Session],
    settings: Settings,
    transport: Transport,
    sender: str,
    row_id: int,
    fixed_now: dt.datetime | None,
    pace: _Pace,
    result: FlushResult,
) -> bool:
    """Claim, send and record one row; False when the run should end (login refused, server
    unreachable)."""
    now = fixed_now or utcnow()
    row = _claim(sessions, row_id, now)
    if row is None:
        return True  # another flusher took it
    try:
        try:
            transport.send(
                row.raw, sender, row.recipient, f"{row.id:08d}-{row.message_id.strip('<>')}"
            )
        finally:
            pace.last = utcnow()  # the next mail is spaced from this attempt, whatever came of it
    except LoginFailure as exc:
        # Not the mail's fault: back to the queue with its attempt given back.
        _finish(
            sessions,
            settings,
            row,
            None,
            state=OutboxState.QUEUED,
            attempts=row.attempts - 1,
            next_attempt_at=now,
            last_error=str(exc),
        )
        result.retried += 1
        log.warning("outbox %s: login refused: %s", row.id, exc)
        return False
    except TemporaryFailure as exc:
        if row.attempts >= settings.mail.retry_max_attempts:
            _finish(
                sessions,
                settings,
                row,
                "mail_failed",
                state=OutboxState.FAILED,
                last_error=f"gav upp efter {row.attempts} försök: {exc}",
            )
            result.failed += 1
        else:
            _finish(
                sessions,
                settings,
                row,
                None,
                state=OutboxState.QUEUED,
                next_attempt_at=now + backoff(settings, row.attempts),
                last_error=str(exc),
            )
            result.retried += 1
        log.warning("outbox %s: temporary failure: %s", row.id, exc)
        if exc.connection:
            return False  # the server is unreachable: leave the rest for the next flush
    except PermanentFailure as exc:
        _finish(
            sessions,
            settings,
            row,
            "mail_failed",
            state=OutboxState.FAILED,
            last_error=str(exc),
        )
        result.failed += 1
        log.error("outbox %s: refused: %s", row.id, exc)
    except UncertainDelivery as exc:
        _finish(
            sessions,
            settings,
            row,
            "mail_uncertain",
            state=OutboxState.UNCERTAIN,
            last_error=str(exc),
        )
        result.uncertain += 1
        log.error("outbox %s: delivery uncertain: %s", row.id, exc)
    except Exception as exc:
        # A bug, not a delivery answer: we cannot know what the server got.
        _finish(
            sessions,
            settings,
            row,
            "mail_uncertain",
            state=OutboxState.UNCERTAIN,
            last_error=f"oväntat fel: {type(exc).__name__}: {exc}",
        )
        raise
    else:
        _finish(
            sessions,
            settings,
            row,
            "mail_sent",
            state=OutboxState.SENT,
            sent_at=pace.last,
            last_error=None,
        )
        result.sent += 1
    return True


def recover_interrupted(session: Session, older_than: dt.datetime | None = None) -> int:
    """Rows left in "sending" by a process that died become "uncertain"; returns how many.

    Call it at service start, under the service's single-instance lock, inside a transaction.
    `older_than` limits it to rows claimed before that moment, for use while flushers run.
    """
    condition = [OutboxMail.state == OutboxState.SENDING]
    if older_than is not None:
        condition.append(OutboxMail.next_attempt_at < older_than)
    rows = list(session.execute(select(OutboxMail).where(*condition)).scalars())
    for row in rows:
        row.state = OutboxState.UNCERTAIN
        row.last_error = (
            "avbröts under sändning: servern kan ha tagit emot brevet; "
            "kontrollera och skicka igen med casefile requeue"
        )
        session.add(
            Event(
                actor="casefile",
                action="mail_uncertain",
                case_id=row.case_id,
                document_id=row.document_id,
                detail={"outbox_id": row.id, "message_id": row.message_id},
            )
        )
    session.flush()
    return len(rows)


class RequeueError(UserError):
    """A requeue that cannot be done; the message is one line for staff."""


def requeue_mail(
    session: Session, row_id: int, actor: str, now: dt.datetime | None = None
) -> OutboxMail:
    """A person's decision to send a mail again (uncertain, failed or suppressed)."""
    row = session.get(OutboxMail, row_id)
    if row is None:
        raise RequeueError(f"det finns inget utgående brev nr {row_id}")
    if row.state not in REQUEUEABLE_STATES:
        raise RequeueError(
            f"brev nr {row_id} är {row.state}; bara osäkra, misslyckade och stoppade brev "
            "kan skickas igen"
        )
    if not row.recipient:
        raise RequeueError(f"brev nr {row_id} har ingen mottagaradress")
    previous = row.state
    row.state = OutboxState.QUEUED
    row.attempts = 0
    row.next_attempt_at = now or utcnow()
    row.last_error = None
    session.add(
        Event(
            actor=actor,
            action="mail_requeued",
            case_id=row.case_id,
            document_id=row.document_id,
            detail={"outbox_id": row.id, "previous_state": previous},
        )
    )
    session.flush()
    return row


__all__ = [
    "FlushResult",
    "RequeueError",
    "backoff",
    "flush_outbox",
    "recover_interrupted",
    "requeue_mail",
]
