"""Queuing automatic mail: one OutboxMail row, written in the caller's transaction.

The row is written together with the event that causes it (a registration, a reminder run), so
either both commit or neither does; a separate sender (sender.py) delivers it later. Each row has
a dedupe key (unique in the database), so a mail that was queued once is never queued again, not
even by two processes at once. A mail that a sending rule (rules.SEND_RULES) forbids is still
written, in state "suppressed" with the reason, so staff can see it and requeue it if they
disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import Case, Document, OutboxMail, utcnow
from casefile.events import log_event
from casefile.states import DocumentStatus, MailKind, OutboxState
from intake.outgoing.compose import Threading, compose, thread_of
from intake.outgoing.content import komplettering_context, kvittens_context
from intake.outgoing.render import render
from intake.outgoing.rules import Outgoing, check_send
from intake.outgoing.safety import clean_address

# The outer interface asks for auto-replied on every automatic mail, reminders and digest
# included (RFC 3834 would allow auto-generated there); any value but "no" stops auto-responders.
AUTO_REPLIED = "auto-replied"


@dataclass(frozen=True)
class ReplyContext:
    """The incoming message a mail answers.

    recipient: the address that sent us the message (a plain addr-spec; None if unusable).
    message_id / references: its Message-ID and References headers, as received.
    automatic: the message was sent by a machine (auto-reply, bounce, list): never answer it.
    """

    recipient: str | None
    message_id: str | None
    references: str | None
    automatic: bool


@dataclass(frozen=True)
class MailRequest:
    """Everything needed to queue one mail, before the rules are applied."""

    kind: str
    dedupe_key: str
    recipient: str | None
    reference: str | None
    context: dict[str, object]
    threading: Threading = field(default_factory=Threading)
    auto_submitted: str = AUTO_REPLIED
    answers_automatic: bool = False
    to_staff: bool = False
    case: Case | None = None
    document: Document | None = None
    # For the sending rules (rules.Outgoing): the verdict on the mail of the sender it answers,
    # and why there is no recipient when the caller knows.
    sender_verdict: str | None = None
    missing: str | None = None


def find_by_key(session: Session, dedupe_key: str) -> OutboxMail | None:
    return session.execute(
        select(OutboxMail).where(OutboxMail.dedupe_key == dedupe_key)
    ).scalar_one_or_none()


def enqueue(
    session: Session, settings: Settings, request: MailRequest, now: dt.datetime | None = None
) -> tuple[OutboxMail, bool]:
    """Write the row for `request` unless its dedupe key exists; (row, created)."""
    now = now or utcnow()
    existing = find_by_key(session, request.dedupe_key)
    if existing is not None:
        return existing, False
    recipient = clean_address(request.recipient)
    outgoing = Outgoing(
        kind=request.kind,
        recipient=recipient,
        answers_automatic=request.answers_automatic,
        to_staff=request.to_staff,
        sender_verdict=request.sender_verdict,
        missing=request.missing,
    )
    verdict = check_send(session, settings, outgoing, now)
    rendered = render(settings, request.kind, request.context)
    composed = compose(
        settings,
        kind=request.kind,
        recipient=recipient or "",
        reference=request.reference,
        rendered=rendered,
        threading=request.threading,
        auto_submitted=request.auto_submitted,
        now=now,
    )
    row = OutboxMail(
        dedupe_key=request.dedupe_key,
        kind=request.kind,
        case_id=request.case.id if request.case is not None else None,
        document_id=request.document.id if request.document is not None else None,
        recipient=recipient or "",
        subject=composed.subject,
        message_id=composed.message_id,
        in_reply_to=composed.in_reply_to,
        raw=composed.raw,
        state=OutboxState.QUEUED if verdict.allowed else OutboxState.SUPPRESSED,
        attempts=0,
        next_attempt_at=now,
        last_error=verdict.reason,
        created_at=now,
    )
    try:
        # A savepoint, so that losing a race for the dedupe key only drops this row.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = find_by_key(session, request.dedupe_key)
        if existing is None:
            raise
        return existing, False
    log_event(
        session,
        settings.registry.bot_actor,
        "mail_queued",
        case=request.case,
        document=request.document,
        outbox_id=row.id,
        kind=row.kind,
        recipient=row.recipient,
        state=row.state,
        reason=row.last_error,
    )
    return row, True


def queue_for_document(
    session: Session, settings: Settings, document: Document, reply: ReplyContext
) -> list[OutboxMail]:
    """Queue the kvittens (once per document) and, for an incomplete report, a komplettering.

    Called by the intake pipeline inside the registration transaction, after register_document().
    Returns the rows for this document, new or already there; a row may be "suppressed".
    """
    threading = thread_of(reply.message_id, reply.references)
    case = document.case
    rows: list[OutboxMail] = []
    kvittens = MailRequest(
        kind=MailKind.KVITTENS,
        dedupe_key=f"kvittens:doc:{document.id}",
        recipient=reply.recipient,
        reference=document.diarienummer,
        context=kvittens_context(settings, document),
        threading=threading,
        auto_submitted=AUTO_REPLIED,
        answers_automatic=reply.automatic,
        case=case,
        document=document,
        sender_verdict=document.sender_verdict,
    )
    rows.append(enqueue(session, settings, kvittens)[0])
    if document.status == DocumentStatus.INCOMPLETE:
        completion = MailRequest(
            kind=MailKind.KOMPLETTERING,
            dedupe_key=completion_key(document.id, 1),
            recipient=reply.recipient,
            reference=document.diarienummer,
            context=komplettering_context(settings, document),
            threading=threading,
            auto_submitted=AUTO_REPLIED,
            answers_automatic=reply.automatic,
            case=case,
            document=document,
            sender_verdict=document.sender_verdict,
        )
        rows.append(enqueue(session, settings, completion)[0])
    return rows


def completion_key(document_id: int, number: int) -> str:
    """The first request has the plain key; repeats are numbered from 2."""
    base = f"komplettering:doc:{document_id}"
    return base if number == 1 else f"{base}:{number}"
