"""One fetched message, handled exactly once.

Order: bound the header block; store the raw bytes in the archive; parse; classify; extract the
attachments (in a child process, outside any transaction, within the message's budget); then one
database transaction records the message, its files, the registered documents, the queued
acknowledgements and the UID watermark. Marking the message on the server comes after the commit
(see poll.py). A crash before the commit leaves nothing in the register, and the message is
fetched again; after it, the identity row stops a second registration.

Inside the transaction every message, polled or retried, goes through one disposition sequence,
`DISPOSITION`: identity -> duplicate -> automatic -> file. The final state is decided by the pure
function `final_state` (outcome.py); the rows it reads and writes are in records.py.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casefile.app import App
from casefile.db.models import (
    Attachment,
    Document,
    MailboxState,
    MessageAttempt,
    SourceMessage,
    StoredFile,
)
from casefile.db.models import utcnow as _utcnow
from casefile.events import log_event
from casefile.faults import checkpoint
from casefile.register import register_document
from casefile.signature_report import keep_report
from casefile.states import RETRYABLE_STATES, AttachmentState, MessageState
from intake.extract.signatures import BROKEN_FLAG, STORED_STATUS
from intake.mail.attachments import (
    LISTED_PER_MESSAGE,
    Candidate,
    examine_body,
    examine_message,
    group_reports,
    make_worker,
)
from intake.mail.authresults import judge_message
from intake.mail.classify import automatic_reason
from intake.mail.mime import ParsedMessage, clean, header_block_size, parse_message
from intake.sources.base import FetchedMessage

if TYPE_CHECKING:
    from intake.extract.pool import ExtractionWorker

from intake.mail.outcome import NEVER_FILED, SEEN, Filing, Outcome, final_state
from intake.mail.records import (
    MAIL_BODY_FLAG,
    NO_SENDER_FLAG,
    Identity,
    _earlier_copy,
    _first_copy,
    _flag,
    _insert_ignore,
    _is_report_of_delivery,
    _link_returned,
    _new_document,
    _recorded,
    _replied_cases,
    _source_message,
)

log = logging.getLogger("intake")

# The one way through, for poll and retry alike (README, "How it works").
DISPOSITION = ("identity", "duplicate", "automatic", "file")

# A message that killed the process this many times is recorded as failed, not handled again.
POISON_ATTEMPTS = 2


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
