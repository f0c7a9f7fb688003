"""One fetched message, handled exactly once.

Order: bound the header block; store the raw bytes in the archive; parse; classify; extract the
attachments (in a child process, outside any transaction, within the message's budget); then one
database transaction records the message, its files, the registered documents, the queued
acknowledgements and the UID watermark. Marking the message on the server comes after the commit
(see poll.py). A crash before the commit leaves nothing in the register, and the message is
fetched again; after it, the identity row stops a second registration.

Inside the transaction every message, polled or retried, goes through one disposition sequence,
`DISPOSITION`: identity -> duplicate -> automatic -> file. The final state is decided by the pure
function `final_state`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casefile.app import App
from casefile.db.models import (
    Attachment,
    Case,
    Document,
    MailboxState,
    MessageAttempt,
    OutboxMail,
    SourceMessage,
    StoredFile,
)
from casefile.db.models import utcnow as _utcnow
from casefile.events import log_event
from casefile.faults import checkpoint
from casefile.register import NewDocument, register_document
from casefile.signature_report import keep_report
from casefile.states import RETRYABLE_STATES, AttachmentState, MessageState
from intake.extract.findings import for_registration
from intake.extract.signatures import BROKEN_FLAG, STORED_STATUS
from intake.extract.signatures import stored as stored_signatures
from intake.mail.attachments import (
    LISTED_PER_MESSAGE,
    Candidate,
    examine_body,
    examine_message,
    group_reports,
    make_worker,
)
from intake.mail.authresults import judge_message
from intake.mail.bounce import is_delivery_report
from intake.mail.classify import automatic_reason
from intake.mail.mime import ParsedMessage, clean, header_block_size, parse_message
from intake.sources.base import FetchedMessage

if TYPE_CHECKING:
    from casefile.config import Settings
    from intake.extract.pool import ExtractionWorker

log = logging.getLogger("intake")

# The one way through, for poll and retry alike (README, "How it works").
DISPOSITION = ("identity", "duplicate", "automatic", "file")
# Automatic mail that is never filed, even with a report attached: our own mail coming back.
# The state of an outcome whose message was already recorded (no row state: never stored).
SEEN: Final = "seen"
NEVER_FILED = frozenset({"own_loop", "own_address", "delivery_report"})
# A message that killed the process this many times is recorded as failed, not handled again.
POISON_ATTEMPTS = 2


@dataclass(frozen=True)
class Filing:
    """What filing the attachments found: the input of `final_state`."""

    registered: tuple[str, ...] = ()
    already_registered: bool = False
    resent: tuple[str, ...] = ()
    quarantined: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def final_state(
    *,
    duplicate_of: int | None,
    automatic: str | None,
    filing: Filing | None,
    returned: tuple[str, ...] = (),
) -> tuple[MessageState, str | None]:
    """The message's state and reason (pure). A registered report wins over everything but a
    duplicate message; automatic mail only loses its reply; a problem is said in the reason.
    A delivery report that returns our registered documents (`returned`) is for staff."""
    if duplicate_of is not None:
        return MessageState.DUPLICATE, f"samma meddelande som post {duplicate_of}"
    if returned:
        return MessageState.DELIVERY_FAILED, f"leveransrapport: {', '.join(returned)} kom inte fram"
    found = filing or Filing()
    if found.registered or found.already_registered:
        return MessageState.REGISTERED, (
            f"automatiskt brev ({automatic}): ingen kvittens" if automatic else None
        )
    if found.resent:
        return MessageState.DUPLICATE, f"redan registrerad som {', '.join(found.resent)}"
    if found.quarantined:
        return MessageState.QUARANTINED, "bilagan kunde inte läsas: " + "; ".join(found.quarantined)
    if automatic is not None:
        return MessageState.AUTOMATIC, automatic
    reason = "ingen rapport bifogad"
    if found.notes:
        reason += ": " + "; ".join(found.notes)
    return MessageState.NO_REPORT, reason


@dataclass(frozen=True)
class Identity:
    mailbox: str
    folder: str
    uidvalidity: int
    watermark: bool = True  # IMAP: advance last_uid; Maildir: no watermark


@dataclass
class Outcome:
    uid: int
    # A message already recorded is "seen" (SEEN): nothing was done with it this time.
    state: MessageState | Literal["seen"]
    numbers: list[str] = field(default_factory=list)
    reason: str | None = None
    message_row: int | None = None


def _insert_ignore(session: Session, model: type[StoredFile], **values: object) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _source_message(
    ident: Identity, fetched: FetchedMessage, digest: str, **more: str
) -> SourceMessage:
    """The register's row for a fetched message: where it lies on the server, and its bytes."""
    return SourceMessage(
        mailbox=ident.mailbox,
        folder=ident.folder,
        uidvalidity=ident.uidvalidity,
        uid=fetched.uid,
        raw_sha256=digest,
        size=len(fetched.raw),
        internal_date=fetched.internal_date,
        **more,
    )


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
        # The signature evidence is kept beside the form's fields (signatures.stored).
        fields={**fields, **stored_signatures(extraction)},
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


# A report whose From could not be read is registered, never answered, and shown to staff.
NO_SENDER_FLAG = "avsändarens adress kunde inte läsas"
# A report read from the mail body (no attachment): registered, answered, shown to staff.
MAIL_BODY_FLAG = "rapporten stod i brevets text"


def _flag(session: Session, document: Document, actor: str, flag: str) -> None:
    """A flag on the document for staff (`show`, `inbox`), kept beside any earlier one."""
    document.flag = "; ".join(f for f in (document.flag, flag) if f)
    log_event(session, actor, "document_flagged", document=document, flag=flag)


def _first_copy(session: Session, msg: SourceMessage) -> SourceMessage | None:
    """An earlier row of the very same message: same Message-ID (or none) and same bytes."""
    same_id = (
        SourceMessage.message_id == msg.message_id
        if msg.message_id
        else SourceMessage.message_id.is_(None)
    )
    return session.execute(
        select(SourceMessage)
        .where(
            same_id,
            SourceMessage.raw_sha256 == msg.raw_sha256,
            SourceMessage.id < msg.id,
            SourceMessage.size > 0,
        )
        .order_by(SourceMessage.id)
        .limit(1)
    ).scalar_one_or_none()


def _earlier_copy(session: Session, group: list[Candidate], sender: str | None) -> Document | None:
    """The same file bytes, already registered from the same sender: a resend, not a new report."""
    if not sender:
        return None
    return session.execute(
        select(Document)
        .join(Attachment, Attachment.document_id == Document.id)
        .join(SourceMessage, SourceMessage.id == Attachment.source_message_id)
        .where(
            Attachment.sha256.in_([c.sha256 for c in group]),
            Document.cancelled.is_(False),
            SourceMessage.sender == sender,
        )
        .limit(1)
    ).scalar_one_or_none()


def _is_report_of_delivery(parsed: ParsedMessage) -> bool:
    return is_delivery_report(parsed.content_type, parsed.headers.get("return-path", ""))


def _link_returned(
    session: Session, settings: Settings, msg: SourceMessage, parsed: ParsedMessage
) -> tuple[str, ...]:
    """The registered documents (else cases) a delivery report returns, each told in its case's
    history as a delivery failure; their numbers. Found by a returned file's sha256, by our
    Message-ID (a mail we sent, a message we registered), or by a case number in the returned
    subject."""
    from casefile.numbering import find_references

    actor = settings.registry.bot_actor
    found: dict[int, tuple[Document, str]] = {}
    digests = {hashlib.sha256(a.data).hexdigest() for a in parsed.attachments}
    if digests:
        by_file = select(Document).join(Attachment, Attachment.document_id == Document.id)
        for doc in session.scalars(by_file.where(Attachment.sha256.in_(digests))):
            found.setdefault(doc.id, (doc, "fil"))
    ids = list(parsed.returned_ids)
    if ids:
        sent = select(Document).join(OutboxMail, OutboxMail.document_id == Document.id)
        for doc in session.scalars(sent.where(OutboxMail.message_id.in_(ids))):
            found.setdefault(doc.id, (doc, "Message-ID"))
        got = select(Document).join(SourceMessage, SourceMessage.id == Document.source_message_id)
        for doc in session.scalars(got.where(SourceMessage.message_id.in_(ids))):
            found.setdefault(doc.id, (doc, "Message-ID"))
    numbers: list[str] = []
    cases = {doc.case_id for doc, _ in found.values()}
    for doc, via in sorted(found.values(), key=lambda item: item[0].id):
        log_event(
            session,
            actor,
            "delivery_failed",
            document=doc,
            message=msg,
            via=via,
            message_row=msg.id,
        )
        numbers.append(doc.diarienummer)
    for subject in parsed.returned_subjects:
        for parts in find_references(settings.registry, subject)[:5]:
            case = session.scalars(
                select(Case).where(Case.year == parts.year, Case.serial == parts.case)
            ).first()
            if case is not None and case.id not in cases:
                cases.add(case.id)
                log_event(
                    session,
                    actor,
                    "delivery_failed",
                    case=case,
                    message=msg,
                    via="ämne",
                    message_row=msg.id,
                )
                numbers.append(case.number)
    return tuple(numbers)


class Pipeline:
    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self._worker: ExtractionWorker | None = None

    @property
    def worker(self) -> ExtractionWorker:
        if self._worker is None:
            self._worker = make_worker(
                self.settings.limits,
                self.settings.extraction,
                self.settings.signatures.trust_roots,
                self.settings.registry.timezone,
            )
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    # -- before the transaction -----------------------------------------------------------

    def _oversized_header(self, raw: bytes) -> str | None:
        limit = self.settings.limits.max_header_bytes
        size = header_block_size(raw)
        if size <= limit:
            return None
        return f"meddelandets huvud är för stort ({size} byte, gräns {limit}); det lästes inte"

    def _prepare(self, raw: bytes) -> tuple[ParsedMessage, str | None, list[Candidate]]:
        """Parse, classify and examine (outside any transaction); store what is worth a file."""
        parsed = parse_message(
            raw, self.settings.limits.max_header_bytes, self.settings.mail.loop_header
        )
        auto = automatic_reason(
            parsed,
            self.settings.mail.loop_header,
            self.settings.smtp.from_address,
            self.settings.mail.envelope_from or None,
        )
        candidates: list[Candidate] = []
        if auto not in NEVER_FILED and not _is_report_of_delivery(parsed):
            candidates = examine_message(parsed.attachments, self.settings.limits, self.worker)
            if len(parsed.attachments) > LISTED_PER_MESSAGE:
                parsed.notes.append(
                    f"{len(parsed.attachments) - LISTED_PER_MESSAGE} bilagor till finns bara "
                    "i originalmeddelandet"
                )
            if not any(c.state == AttachmentState.REPORT for c in candidates):
                # No report attached: it may be pasted into the body (read, never asked to
                # complete, flagged for staff).
                body, note = examine_body(raw, self.settings.limits, self.worker)
                candidates.extend([body] if body is not None else [])
                parsed.notes.extend([note] if note else [])
        for cand in candidates:
            # Reports and unreadable files get their own blob; other parts stay inside the raw
            # message, already archived whole (no amplification by many small parts).
            if cand.state in (AttachmentState.REPORT, AttachmentState.QUARANTINED):
                self.app.archive.put(cand.file.data)
        return parsed, auto, candidates

    # -- polling --------------------------------------------------------------------------

    def begin_attempt(self, ident: Identity, uid: int) -> int:
        """Count a start on this message, committed before it is handled (the poison marker).
        Returns how many earlier starts never finished."""
        with self.app.sessions() as session, session.begin():
            key = (ident.mailbox, ident.folder, ident.uidvalidity, uid)
            row = session.get(MessageAttempt, key, with_for_update=True)
            if row is None:
                row = MessageAttempt(
                    mailbox=ident.mailbox,
                    folder=ident.folder,
                    uidvalidity=ident.uidvalidity,
                    uid=uid,
                    attempts=0,
                )
                session.add(row)
            earlier = row.attempts
            row.attempts, row.last_started_at = earlier + 1, _utcnow()
            return earlier

    def forget_attempt(self, ident: Identity, uid: int) -> None:
        """Undo the marker of a start that ended without the process dying (e.g. disk full)."""
        with self.app.sessions() as session, session.begin():
            self._clear_attempts(session, ident, uid)

    def handle(self, ident: Identity, fetched: FetchedMessage) -> Outcome:
        too_big = self._oversized_header(fetched.raw)
        if too_big is not None:
            return self.record_failure(ident, fetched, too_big)
        digest = self.app.archive.put(fetched.raw)
        checkpoint("after_archive")
        parsed, auto, candidates = self._prepare(fetched.raw)
        try:
            with self.app.sessions() as session, session.begin():
                outcome = self._record(session, ident, fetched, digest, parsed, auto, candidates)
                checkpoint("before_commit")
            checkpoint("after_commit")
            return outcome
        except IntegrityError as exc:
            # Seen only when another poller really recorded this identity; any other conflict
            # (a number taken, a missing row) is a failure that staff must see.
            with self.app.sessions() as session:
                existing = _recorded(session, ident, fetched.uid)
            if existing is not None:
                return Outcome(fetched.uid, SEEN, message_row=existing)
            detail = " ".join(str(exc.orig).split())[:300]
            return self.record_failure(ident, fetched, f"kunde inte registreras: {detail}")

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
        # Step "identity": this (mailbox, folder, UIDVALIDITY, UID) is recorded once.
        existing = _recorded(session, ident, fetched.uid)
        if existing is not None:
            self._advance(session, ident, fetched.uid)
            self._clear_attempts(session, ident, fetched.uid)
            return Outcome(fetched.uid, SEEN, message_row=existing)
        msg = _source_message(ident, fetched, digest)
        msg.auth_verdict, msg.auth_detail = judge_message(
            fetched.raw, parsed.from_address, self.settings.mail.trusted_authserv_id
        )
        _insert_ignore(
            session, StoredFile, sha256=digest, size=len(fetched.raw), media_type="message/rfc822"
        )
        session.add(msg)
        self._advance(session, ident, fetched.uid)
        self._clear_attempts(session, ident, fetched.uid)
        return self._dispose(session, msg, parsed, auto, candidates)

    # -- the disposition sequence, shared with retry --------------------------------------

    def _dispose(
        self,
        session: Session,
        msg: SourceMessage,
        parsed: ParsedMessage,
        auto: str | None,
        candidates: list[Candidate],
    ) -> Outcome:
        actor = self.settings.registry.bot_actor
        # What the message says about itself (refreshed on retry: a failed row had none).
        msg.message_id, msg.sender, msg.subject = (
            parsed.message_id,
            parsed.from_address,
            parsed.subject,
        )
        msg.date_header, msg.in_reply_to = parsed.date_header, parsed.in_reply_to
        msg.references = parsed.references
        session.flush()

        # Step "duplicate": the same message again (a UIDVALIDITY reset, a copy in another
        # folder): the same Message-ID and the same bytes; without a Message-ID, the bytes alone.
        first = _first_copy(session, msg)
        filing: Filing | None = None
        returned: tuple[str, ...] = ()
        # Step "automatic" only decides the reply; step "file" registers what is a report.
        # A delivery report is never filed: what it carries is our own mail coming back.
        delivery = _is_report_of_delivery(parsed)
        if first is None and auto not in NEVER_FILED and not delivery:
            filing = self._file(session, msg, parsed, candidates, automatic=auto is not None)
        elif first is None and delivery:
            returned = _link_returned(session, self.settings, msg, parsed)
        state, reason = final_state(
            duplicate_of=first.id if first is not None else None,
            automatic=auto,
            filing=filing,
            returned=returned,
        )
        msg.state, msg.reason = state, reason
        msg.duplicate_of_id = first.id if first is not None else None
        if state == MessageState.DUPLICATE and first is not None:
            log_event(session, actor, "message_duplicate", message=msg, of=first.id)
        elif state == MessageState.AUTOMATIC:
            log_event(session, actor, "message_automatic", message=msg, rule=auto)
        elif state == MessageState.NO_REPORT:
            log_event(session, actor, "message_without_report", message=msg)
        numbers = list((filing or Filing()).registered) + list((filing or Filing()).resent)
        return Outcome(msg.uid, state, numbers, reason, msg.id)

    def _file(
        self,
        session: Session,
        msg: SourceMessage,
        parsed: ParsedMessage,
        candidates: list[Candidate],
        *,
        automatic: bool,
    ) -> Filing:
        """Record the attachments and register the reports among them."""
        settings = self.settings
        actor = settings.registry.bot_actor
        rows = {a.sha256: a for a in msg.attachments}
        for cand in candidates:
            _insert_ignore(
                session,
                StoredFile,
                sha256=cand.sha256,
                size=len(cand.file.data),
                media_type=clean(cand.media_type, 255),
            )
            row = rows.get(cand.sha256)
            if row is None:
                row = Attachment(
                    source_message_id=msg.id, sha256=cand.sha256, size=len(cand.file.data)
                )
                session.add(row)
                rows[cand.sha256] = row
            elif row.document_id is not None:
                continue  # already registered on an earlier try
            row.filename, row.media_type = cand.file.filename, clean(cand.media_type, 255)
            row.state, row.error = cand.state, clean(cand.error)
            if cand.state == AttachmentState.QUARANTINED:
                log_event(
                    session,
                    actor,
                    "attachment_quarantined",
                    message=msg,
                    filename=cand.file.filename,
                    error=row.error,
                )
        session.flush()

        numbers: list[str] = []
        resent: list[str] = []
        # A report an officer forwarded from an office address: its original sender and arrival.
        from intake.mail.forward import staff_forward

        raw = msg.raw_sha256
        received_at = msg.internal_date
        fwd = staff_forward(
            settings, lambda: self.app.archive.get(raw), parsed, received_at, msg.auth_verdict
        )
        if fwd is not None:
            parsed, received_at = fwd.parsed, fwd.received_at
        replied = _replied_cases(session, parsed)
        for group in group_reports(candidates):
            if any(rows[c.sha256].document_id is not None for c in group):
                continue
            earlier = _earlier_copy(session, group, parsed.from_address)
            if earlier is not None:
                for cand in group:
                    rows[cand.sha256].state = AttachmentState.DUPLICATE
                    rows[cand.sha256].document_id = earlier.id
                resent.append(earlier.diarienummer)
                log_event(session, actor, "report_resent", document=earlier, message=msg)
                continue
            new = _new_document(group, parsed, received_at, replied)
            new.source_message_id = msg.id
            document = register_document(session, settings, new, actor)
            if fwd is not None:
                fwd.record(session, document, msg, actor)
            if parsed.from_address is None:
                _flag(session, document, actor, NO_SENDER_FLAG)
            if (document.fields or {}).get(STORED_STATUS) == "e_signature_broken":
                _flag(session, document, actor, BROKEN_FLAG)
            if group[0].extraction is not None and group[0].extraction.source == "mail_body":
                _flag(session, document, actor, MAIL_BODY_FLAG)
            for cand in group:  # each signed file's validation report, kept beside it
                if cand.extraction is not None and cand.extraction.signature_report:
                    keep_report(
                        session,
                        self.app.archive,
                        document,
                        cand.extraction.signature_report,
                        actor,
                        cand.file.filename,
                    )
            for cand in group:
                rows[cand.sha256].document_id = document.id
            numbers.append(document.diarienummer)
            self._queue_replies(session, document, parsed, automatic)

        return Filing(
            registered=tuple(numbers),
            already_registered=any(
                r.document_id is not None and r.state == AttachmentState.REPORT
                for r in rows.values()
            ),
            resent=tuple(resent),
            quarantined=tuple(
                dict.fromkeys(
                    r.error or "okänt fel"
                    for r in rows.values()
                    if r.state == AttachmentState.QUARANTINED
                )
            ),
            notes=tuple(parsed.notes),
        )

    def _queue_replies(
        self, session: Session, document: Document, parsed: ParsedMessage, automatic: bool
    ) -> None:
        from intake.outgoing import ReplyContext, queue_for_document

        reply = ReplyContext(
            recipient=parsed.from_address,
            message_id=parsed.message_id,
            references=parsed.references,
            # Automatic mail with a report: registered, but never answered.
            automatic=automatic,
        )
        queue_for_document(session, self.settings, document, reply)

    # -- retry ----------------------------------------------------------------------------

    def retry(self, row_id: int, raw: bytes) -> Outcome:
        """Run a recorded message through the same sequence again, from the top."""
        too_big = self._oversized_header(raw)
        parsed, auto, candidates = (None, None, []) if too_big else self._prepare(raw)
        with self.app.sessions() as session, session.begin():
            msg = session.get(SourceMessage, row_id, with_for_update=True)
            assert msg is not None
            if msg.state not in RETRYABLE_STATES:  # someone else retried meanwhile
                return Outcome(msg.uid, MessageState(msg.state), [], msg.reason, msg.id)
            if parsed is None:
                msg.state, msg.reason = MessageState.FAILED, too_big
                outcome = Outcome(msg.uid, MessageState.FAILED, [], too_big, msg.id)
            else:
                # The sender's verdict is judged again too: a failed row may have none.
                msg.auth_verdict, msg.auth_detail = judge_message(
                    raw, parsed.from_address, self.settings.mail.trusted_authserv_id
                )
                outcome = self._dispose(session, msg, parsed, auto, candidates)
            log_event(
                session,
                self.settings.registry.bot_actor,
                "message_retried",
                message=msg,
                state=outcome.state,
            )
            return outcome

    # -- bookkeeping ----------------------------------------------------------------------

    def _clear_attempts(self, session: Session, ident: Identity, uid: int) -> None:
        session.execute(
            delete(MessageAttempt).where(
                MessageAttempt.mailbox == ident.mailbox,
                MessageAttempt.folder == ident.folder,
                MessageAttempt.uidvalidity == ident.uidvalidity,
                MessageAttempt.uid == uid,
            )
        )

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
        error = clean(error, 500) or "okänt fel"
        with self.app.sessions() as session, session.begin():
            existing = _recorded(session, ident, fetched.uid)
            if existing is not None:
                return Outcome(fetched.uid, SEEN, message_row=existing)
            _insert_ignore(
                session,
                StoredFile,
                sha256=digest,
                size=len(fetched.raw),
                media_type="message/rfc822",
            )
            msg = _source_message(ident, fetched, digest, state=MessageState.FAILED, reason=error)
            session.add(msg)
            session.flush()
            self._advance(session, ident, fetched.uid)
            self._clear_attempts(session, ident, fetched.uid)
            log_event(
                session,
                self.settings.registry.bot_actor,
                "message_failed",
                message=msg,
                error=error,
            )
            return Outcome(fetched.uid, MessageState.FAILED, reason=error, message_row=msg.id)
