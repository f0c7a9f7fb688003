"""The register's rows as the pipeline (pipeline.py) reads and writes them for one message.

Where a message stands (its identity and whether it was recorded, its first copy, an earlier
copy of the same report), the document a report makes, the flags staff see on it, and the
delivery report that brings back our own mail. Each runs inside the pipeline's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casefile.db.models import (
    Attachment,
    Case,
    Document,
    OutboxMail,
    SourceMessage,
    StoredFile,
)
from casefile.events import log_event
from casefile.register import NewDocument
from intake.extract.findings import for_registration
from intake.extract.signatures import stored as stored_signatures
from intake.mail.attachments import (
    Candidate,
)
from intake.mail.bounce import is_delivery_report
from intake.mail.mime import ParsedMessage
from intake.sources.base import FetchedMessage

if TYPE_CHECKING:
    from casefile.config import Settings


@dataclass(frozen=True)
class Identity:
    mailbox: str
    folder: str
    uidvalidity: int
    watermark: bool = True  # IMAP: advance last_uid; Maildir: no watermark


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
