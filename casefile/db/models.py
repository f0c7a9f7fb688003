"""The ORM classes, mapped onto the Core tables of schema.py (typed, SQLAlchemy 2.0).

The annotations are for type checkers; the columns themselves are defined once, in schema.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from casefile.db import schema
from casefile.db.schema import UTCDateTime, utcnow

__all__ = [
    "Attachment",
    "Base",
    "Case",
    "Counter",
    "Document",
    "Event",
    "MailboxState",
    "MessageAttempt",
    "OutboxMail",
    "SourceMessage",
    "StoredFile",
    "UTCDateTime",
    "utcnow",
]


class Base(DeclarativeBase):
    metadata = schema.metadata


class Counter(Base):
    __table__ = schema.counters
    name: Mapped[str]
    value: Mapped[int]


class Case(Base):
    """An ärende: one insats's report matter."""

    __table__ = schema.cases
    id: Mapped[int]
    number: Mapped[str]
    year: Mapped[int]
    serial: Mapped[int]
    title: Mapped[str]
    organisation: Mapped[str]
    contact_name: Mapped[str | None]
    contact_email: Mapped[str | None]
    status: Mapped[str]
    due_date: Mapped[dt.date | None]
    period_end: Mapped[dt.date | None]
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    close_reason: Mapped[str | None]
    confirmed_contact_email: Mapped[str | None]
    confirmed_contact_by: Mapped[str | None]
    flag: Mapped[str | None]

    documents: Mapped[list[Document]] = relationship(
        back_populates="case", order_by="Document.serial"
    )


class SourceMessage(Base):
    """One mail as fetched: its identity on the server and what became of it."""

    __table__ = schema.messages
    id: Mapped[int]
    mailbox: Mapped[str]
    folder: Mapped[str]
    uidvalidity: Mapped[int]
    uid: Mapped[int]
    message_id: Mapped[str | None]
    raw_sha256: Mapped[str]
    size: Mapped[int]
    internal_date: Mapped[dt.datetime]
    date_header: Mapped[str | None]
    sender: Mapped[str | None]
    subject: Mapped[str | None]
    in_reply_to: Mapped[str | None]
    references: Mapped[str | None]
    auth_verdict: Mapped[str | None]
    auth_detail: Mapped[str | None]
    state: Mapped[str]
    reason: Mapped[str | None]
    duplicate_of_id: Mapped[int | None]
    fetched_at: Mapped[dt.datetime]
    marked_on_server: Mapped[bool]
    dismissed_at: Mapped[dt.datetime | None]
    dismissed_by: Mapped[str | None]
    dismiss_reason: Mapped[str | None]

    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class StoredFile(Base):
    """A blob in the content-addressed archive."""

    __table__ = schema.stored_files
    sha256: Mapped[str]
    size: Mapped[int]
    media_type: Mapped[str | None]
    stored_at: Mapped[dt.datetime]


class Document(Base):
    """A handling: one registered document with its diarienummer."""

    __table__ = schema.documents
    id: Mapped[int]
    diarienummer: Mapped[str]
    case_id: Mapped[int]
    serial: Mapped[int]
    kind: Mapped[str]
    direction: Mapped[str]
    channel: Mapped[str]
    received_at: Mapped[dt.datetime]
    received_date: Mapped[dt.date]
    registered_at: Mapped[dt.datetime]
    sender: Mapped[str | None]
    subject: Mapped[str | None]
    title: Mapped[str]
    organisation: Mapped[str]
    fields: Mapped[dict[str, Any]]
    sections: Mapped[dict[str, Any]]
    findings: Mapped[list[Any]]
    submitter_signed: Mapped[bool]
    signature: Mapped[str | None]
    signed_at: Mapped[dt.datetime | None]
    status: Mapped[str]
    cancelled: Mapped[bool]
    cancel_reason: Mapped[str | None]
    source_message_id: Mapped[int | None]
    registered_by: Mapped[str | None]
    sender_verdict: Mapped[str | None]
    flag: Mapped[str | None]
    secrecy_provision: Mapped[str | None]
    secrecy_public_title: Mapped[str | None]
    secrecy_at: Mapped[dt.datetime | None]
    secrecy_by: Mapped[str | None]

    case: Mapped[Case] = relationship(back_populates="documents")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="document")


class Attachment(Base):
    """A file that came with a message; linked to a document when it is a registered report."""

    __table__ = schema.attachments
    id: Mapped[int]
    source_message_id: Mapped[int]
    sha256: Mapped[str]
    filename: Mapped[str | None]
    media_type: Mapped[str | None]
    size: Mapped[int]
    state: Mapped[str]
    error: Mapped[str | None]
    document_id: Mapped[int | None]

    message: Mapped[SourceMessage] = relationship(back_populates="attachments")
    document: Mapped[Document | None] = relationship(back_populates="attachments")


class MailboxState(Base):
    """Per mailbox and folder: the UID watermark and the health of the last polls."""

    __table__ = schema.mailbox_state
    mailbox: Mapped[str]
    folder: Mapped[str]
    uidvalidity: Mapped[int | None]
    last_uid: Mapped[int]
    last_success_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    last_error_at: Mapped[dt.datetime | None]
    waiting: Mapped[int]
    sync_state: Mapped[str | None]


class OutboxMail(Base):
    """An automatic mail, written in the same transaction as the event that causes it."""

    __table__ = schema.outbox
    id: Mapped[int]
    dedupe_key: Mapped[str]
    kind: Mapped[str]
    case_id: Mapped[int | None]
    document_id: Mapped[int | None]
    recipient: Mapped[str]
    subject: Mapped[str]
    message_id: Mapped[str]
    in_reply_to: Mapped[str | None]
    raw: Mapped[bytes]
    state: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class MessageAttempt(Base):
    """The poison marker of one message identity: how often handling it was started."""

    __table__ = schema.message_attempts
    mailbox: Mapped[str]
    folder: Mapped[str]
    uidvalidity: Mapped[int]
    uid: Mapped[int]
    attempts: Mapped[int]
    last_started_at: Mapped[dt.datetime | None]


class Event(Base):
    """The append-only audit log: what happened, to what, by whom, when."""

    __table__ = schema.events
    id: Mapped[int]
    at: Mapped[dt.datetime]
    actor: Mapped[str]
    action: Mapped[str]
    case_id: Mapped[int | None]
    document_id: Mapped[int | None]
    source_message_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]]
