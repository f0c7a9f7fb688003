"""One fetched message, handled exactly once.

Order: store the raw bytes in the archive; parse; classify; extract the attachments (in a child
process, outside any transaction); then one database transaction records the message, its files,
the registered documents, the queued acknowledgements and the UID watermark. Marking the message
on the server comes after the commit (see poll.py). A crash before the commit leaves nothing in
the register, and the message is fetched again; after it, the identity row stops a second
registration.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casefile.app import App
from casefile.db.models import (
    Attachment,
    Case,
    Document,
    MailboxState,
    OutboxMail,
    SourceMessage,
    StoredFile,
)
from casefile.events import log_event
from casefile.register import NewDocument, register_document
from intake.extract.findings import for_registration
from intake.mail.attachments import Candidate, examine, group_reports, make_worker
from intake.mail.classify import automatic_reason
from intake.mail.faults import checkpoint
from intake.mail.mime import ParsedMessage, parse_message
from intake.sources.base import FetchedMessage

if TYPE_CHECKING:
    from intake.extract.pool import ExtractionWorker

log = logging.getLogger("intake")


@dataclass(frozen=True)
class Identity:
    mailbox: str
    folder: str
    uidvalidity: int
    watermark: bool = True  # IMAP: advance last_uid; Maildir: no watermark


@dataclass
class Outcome:
    uid: int
    state: str
    numbers: list[str] = field(default_factory=list)
    reason: str | None = None
    message_row: int | None = None


def _insert_ignore(session: Session, model: type[StoredFile], **values: object) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _recorded(session: Session, ident: Identity, uid: int) -> int | None:
    """The row id of a message already recorded under this identity, if any."""
    return session.execute(
        select(SourceMessage.id).where(
            SourceMessage.mailbox == ident.mailbox,
            SourceMessage.folder == ident.folder,
            SourceMessage.uidvalidity == ident.uidvalidity,
            SourceMessage.uid == uid,
        )
    ).scalar_one_or_none()


def _replied_cases(session: Session, parsed: ParsedMessage) -> tuple[str, ...]:
    ids = parsed.referenced_ids
    if not ids:
        return ()
    rows = session.execute(
        select(Case.number)
        .join(OutboxMail, OutboxMail.case_id == Case.id)
        .where(OutboxMail.message_id.in_(ids))
    ).scalars()
    return tuple(dict.fromkeys(rows))


def _period_end(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _new_document(
    group: list[Candidate],
    parsed: ParsedMessage,
    received_at: dt.datetime,
    replied: tuple[str, ...],
) -> NewDocument:
    primary = group[0]
    extraction = primary.extraction
    assert extraction is not None
    fields = extraction.fields
    title = str(fields.get("title") or primary.file.filename or "")
    return NewDocument(
        kind=extraction.document_type,
        received_at=received_at,
        sender=parsed.from_address,
        subject=parsed.subject,
        title=title,
        organisation=str(fields.get("organisation") or ""),
        fields=dict(fields),
        sections=dict(extraction.sections),
        # An unrecognised form never asks the sender for a completion (see for_registration).
        findings=for_registration(extraction.to_json()["findings"]),
        submitter_signed=extraction.submitter_signed,
        form_reference=fields.get("reference"),
        replied_cases=replied,
        contact_name=fields.get("contact_name"),
        contact_email=fields.get("contact_email"),
        period_end=_period_end(fields.get("period_end")),
    )


def _earlier_copy(session: Session, group: list[Candidate], sender: str | None) -> Document | None:
    """The same file bytes, already registered from the same sender: a resend, not a new report."""
    if not sender:
        return None
    return session.execute(
        select(Document)
        .join(Attachment, Attachment.document_id == Document.id)
        .join(SourceMessage, SourceMessage.id == Attachment.message_id)
        .where(
            Attachment.sha256.in_([c.sha256 for c in group]),
            Document.cancelled.is_(False),
            SourceMessage.sender == sender,
        )
        .limit(1)
    ).scalar_one_or_none()


class Pipeline:
    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self._worker: ExtractionWorker | None = None

    @property
    def worker(self) -> ExtractionWorker:
        if self._worker is None:
            self._worker = make_worker(self.settings.limits, self.settings.extraction)
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def examine_all(self, parsed: ParsedMessage) -> list[Candidate]:
        return [examine(f, self.settings.limits, self.worker) for f in parsed.attachments]

    def handle(self, ident: Identity, fetched: FetchedMessage) -> Outcome:
        digest = self.app.archive.put(fetched.raw)
        checkpoint("after_archive")
        parsed = parse_message(fetched.raw)
        auto = automatic_reason(parsed, self.settings.mail.loop_header)
        # Automatic mail is kept whole in the archive; its files are not examined.
        candidates = self.examine_all(parsed) if auto is None else []
        for cand in candidates:
            self.app.archive.put(cand.file.data)
        try:
            with self.app.sessions() as session, session.begin():
                outcome = self._record(session, ident, fetched, digest, parsed, auto, candidates)
                checkpoint("before_commit")
            checkpoint("after_commit")
            return outcome
        except IntegrityError:
            # Another poller recorded this identity first: it is theirs, not ours to redo.
            return Outcome(fetched.uid, "seen")

    def _record(
        self,
        session: Session,
        ident: Identity,
        fetched: FetchedMessage,
        digest: str,
        parsed: ParsedMessage,
        auto: str | None,
        candidates: list[Candidate],
    ) -> Outcome:
        settings = self.settings
        actor = settings.registry.bot_actor
        existing = _recorded(session, ident, fetched.uid)
        if existing is not None:
            self._advance(session, ident, fetched.uid)
            return Outcome(fetched.uid, "seen", message_row=existing)

        msg = SourceMessage(
            mailbox=ident.mailbox,
            folder=ident.folder,
            uidvalidity=ident.uidvalidity,
            uid=fetched.uid,
            message_id=parsed.message_id,
            raw_sha256=digest,
            size=len(fetched.raw),
            internal_date=fetched.internal_date,
            date_header=parsed.date_header,
            sender=parsed.from_address,
            subject=parsed.subject,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
        )
        _insert_ignore(
            session, StoredFile, sha256=digest, size=len(fetched.raw), media_type="message/rfc822"
        )
        session.add(msg)
        session.flush()
        self._advance(session, ident, fetched.uid)

        # The same message again (a UIDVALIDITY reset, a copy in another folder): the same
        # Message-ID and the same bytes; without a Message-ID, the same bytes alone.
        same_id = (
            SourceMessage.message_id == parsed.message_id
            if parsed.message_id
            else SourceMessage.message_id.is_(None)
        )
        first = session.execute(
            select(SourceMessage)
            .where(same_id, SourceMessage.raw_sha256 == digest, SourceMessage.id != msg.id)
            .order_by(SourceMessage.id)
            .limit(1)
        ).scalar_one_or_none()
        if first is not None:
            msg.state, msg.duplicate_of_id = "duplicate", first.id
            msg.reason = f"samma meddelande som post {first.id}"
            log_event(session, actor, "message_duplicate", message=msg, of=first.id)
            return Outcome(fetched.uid, "duplicate", reason=msg.reason, message_row=msg.id)

        if auto is not None:
            msg.state, msg.reason = "automatic", auto
            log_event(session, actor, "message_automatic", message=msg, rule=auto)
            return Outcome(fetched.uid, "automatic", reason=auto, message_row=msg.id)

        return self.file_reports(session, msg, parsed, candidates, fetched.internal_date)

    def file_reports(
        self,
        session: Session,
        msg: SourceMessage,
        parsed: ParsedMessage,
        candidates: list[Candidate],
        received_at: dt.datetime,
    ) -> Outcome:
        """Record the attachments and register the reports among them (also used by retry)."""
        settings = self.settings
        actor = settings.registry.bot_actor
        rows = {a.sha256: a for a in msg.attachments}
        for cand in candidates:
            _insert_ignore(
                session,
                StoredFile,
                sha256=cand.sha256,
                size=len(cand.file.data),
                media_type=cand.media_type,
            )
            row = rows.get(cand.sha256)
            if row is None:
                row = Attachment(message_id=msg.id, sha256=cand.sha256, size=len(cand.file.data))
                session.add(row)
                rows[cand.sha256] = row
            elif row.document_id is not None:
                continue  # already registered on an earlier try
            row.filename, row.media_type = cand.file.filename, cand.media_type
            row.state, row.error = cand.state, cand.error
            if cand.state == "quarantined":
                log_event(
                    session,
                    actor,
                    "attachment_quarantined",
                    message=msg,
                    filename=cand.file.filename,
                    error=cand.error,
                )
        session.flush()

        numbers: list[str] = []
        duplicates: list[str] = []
        replied = _replied_cases(session, parsed)
        for group in group_reports(candidates):
            if any(rows[c.sha256].document_id is not None for c in group):
                continue
            earlier = _earlier_copy(session, group, parsed.from_address)
            if earlier is not None:
                for cand in group:
                    rows[cand.sha256].state = "duplicate"
                    rows[cand.sha256].document_id = earlier.id
                duplicates.append(earlier.diarienummer)
                log_event(session, actor, "report_resent", document=earlier, message=msg)
                continue
            new = _new_document(group, parsed, received_at, replied)
            new.message_id = msg.id
            document = register_document(session, settings, new, actor)
            for cand in group:
                rows[cand.sha256].document_id = document.id
            numbers.append(document.diarienummer)
            self._queue_replies(session, document, parsed)

        already = any(r.document_id is not None and r.state == "report" for r in rows.values())
        if numbers or already:
            msg.state, msg.reason = "registered", None
        elif duplicates:
            msg.state, msg.reason = "duplicate", f"redan registrerad som {', '.join(duplicates)}"
        elif any(r.state == "quarantined" for r in rows.values()):
            msg.state, msg.reason = "quarantined", "bilagan kunde inte läsas"
        else:
            msg.state, msg.reason = "no_report", "ingen rapport bifogad"
            log_event(session, actor, "message_without_report", message=msg)
        return Outcome(msg.uid, msg.state, numbers + duplicates, msg.reason, msg.id)

    def _queue_replies(self, session: Session, document: Document, parsed: ParsedMessage) -> None:
        from intake.outgoing import ReplyContext, queue_for_document

        reply = ReplyContext(
            recipient=parsed.from_address,
            message_id=parsed.message_id,
            references=parsed.references,
            automatic=False,
        )
        queue_for_document(session, self.settings, document, reply)

    def _advance(self, session: Session, ident: Identity, uid: int) -> None:
        if not ident.watermark:
            return
        state = session.get(MailboxState, (ident.mailbox, ident.folder))
        if state is None:
            state = MailboxState(
                mailbox=ident.mailbox,
                folder=ident.folder,
                uidvalidity=ident.uidvalidity,
                last_uid=0,
            )
            session.add(state)
        if state.uidvalidity == ident.uidvalidity and uid > state.last_uid:
            state.last_uid = uid

    def record_failure(self, ident: Identity, fetched: FetchedMessage, error: str) -> Outcome:
        """A message that broke the pipeline: kept (raw in the archive), shunted for staff."""
        digest = self.app.archive.put(fetched.raw)
        with self.app.sessions() as session, session.begin():
            existing = _recorded(session, ident, fetched.uid)
            if existing is not None:
                return Outcome(fetched.uid, "seen", message_row=existing)
            _insert_ignore(
                session,
                StoredFile,
                sha256=digest,
                size=len(fetched.raw),
                media_type="message/rfc822",
            )
            msg = SourceMessage(
                mailbox=ident.mailbox,
                folder=ident.folder,
                uidvalidity=ident.uidvalidity,
                uid=fetched.uid,
                raw_sha256=digest,
                size=len(fetched.raw),
                internal_date=fetched.internal_date,
                state="failed",
                reason=error[:500],
            )
            session.add(msg)
            session.flush()
            self._advance(session, ident, fetched.uid)
            log_event(
                session,
                self.settings.registry.bot_actor,
                "message_failed",
                message=msg,
                error=error[:500],
            )
            return Outcome(fetched.uid, "failed", reason=error, message_row=msg.id)
