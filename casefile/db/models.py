"""The register's tables (SQLAlchemy 2.0, typed).

Nothing here is ever deleted: cases are closed, documents cancelled (makulerade), mail marked.
All timestamps are stored as UTC; dates meant in the registry's zone (ankomstdatum) are stored as
dates, already converted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Counter(Base):
    """A number series: 'case:2026' for case serials in a year, 'doc:<case id>' in a case."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


class Case(Base):
    """An ärende: one insats's report matter."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("year", "serial", name="uq_cases_year_serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    serial: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    organisation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column()

    documents: Mapped[list[Document]] = relationship(
        back_populates="case", order_by="Document.serial"
    )


class SourceMessage(Base):
    """One mail as fetched: its identity on the server and what became of it."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("mailbox", "folder", "uidvalidity", "uid", name="uq_messages_identity"),
        Index("ix_messages_msgid_sha", "message_id", "raw_sha256"),
        Index("ix_messages_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(128), nullable=False)
    folder: Mapped[str] = mapped_column(String(255), nullable=False)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    uid: Mapped[int] = mapped_column(BigInteger, nullable=False)
    message_id: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    internal_date: Mapped[dt.datetime] = mapped_column(nullable=False)
    date_header: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    references: Mapped[str | None] = mapped_column(Text)
    # received | registered | automatic | no_report | quarantined | duplicate | failed
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="received")
    reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    fetched_at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)
    marked_on_server: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class StoredFile(Base):
    """A blob in the content-addressed archive."""

    __tablename__ = "stored_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    media_type: Mapped[str | None] = mapped_column(String(255))
    stored_at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)


class Document(Base):
    """A handling: one registered document with its diarienummer."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("case_id", "serial", name="uq_documents_case_serial"),
        Index("ix_documents_received", "received_at", "id"),
        Index("ix_documents_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    diarienummer: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False)
    serial: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False, default="in")
    received_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    received_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    registered_at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)
    sender: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    organisation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    sections: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    findings: Mapped[list[Any]] = mapped_column(nullable=False, default=list)
    submitter_signed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    signature: Mapped[str | None] = mapped_column(String(16))
    signed_at: Mapped[dt.datetime | None] = mapped_column()
    # registered | incomplete | cancelled
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="registered")
    cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    case: Mapped[Case] = relationship(back_populates="documents")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="document")


class Attachment(Base):
    """A file that came with a message; linked to a document when it is a registered report."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), nullable=False)
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"), nullable=False)
    filename: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # report | other | quarantined | duplicate | retried
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    message: Mapped[SourceMessage] = relationship(back_populates="attachments")
    document: Mapped[Document | None] = relationship(back_populates="attachments")


class MailboxState(Base):
    """Per mailbox and folder: the UID watermark and the health of the last polls."""

    __tablename__ = "mailbox_state"
    mailbox: Mapped[str] = mapped_column(String(128), primary_key=True)
    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_success_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column()
    waiting: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class OutboxMail(Base):
    """An automatic mail, written in the same transaction as the event that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One mail per purpose: 'kvittens:doc:12', 'paminnelse:case:3:-14', ...
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    recipient: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    message_id: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # queued | sending | sent | failed | suppressed
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class Event(Base):
    """The append-only audit log: what happened, to what, by whom, when."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_case", "case_id"),
        Index("ix_events_document", "document_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(nullable=False, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
