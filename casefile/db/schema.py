"""The register's tables, in SQLAlchemy Core.

The ORM classes in models.py are mapped onto these tables; read-only commands (`casefile list`,
`show`, `inbox`) query them directly, so they start without loading the ORM at all.
Nothing here is ever deleted: cases are closed, documents cancelled (makulerade), mail marked.
All timestamps are stored as UTC; dates meant in the registry's zone (ankomstdatum) are dates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

from casefile.clock import utcnow as utcnow  # re-exported (db.models and others)


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


metadata = MetaData()

counters = Table(
    "counters",
    metadata,
    # A number series: 'case:2026' for case serials in a year, 'doc:<case id>' in a case.
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("organisation", Text, nullable=False, default=""),
    Column("contact_name", Text),
    Column("contact_email", Text),
    # open | closed (avslutat)
    Column("status", String(16), nullable=False, default="open"),
    Column("due_date", Date),
    Column("period_end", Date),
    Column("opened_at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
    Column("closed_at", UTCDateTime(timezone=True)),
    Column("close_reason", Text),
    # A contact address staff confirmed (casefile contact); contact_email is only a candidate
    # read from a form, and reminders never go there until it is confirmed.
    Column("confirmed_contact_email", Text),
    Column("confirmed_contact_by", String(64)),
    # Why staff should look at this case (e.g. it names another case but comes from another party).
    Column("flag", Text),
    UniqueConstraint("year", "serial", name="uq_cases_year_serial"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mailbox", String(128), nullable=False),
    Column("folder", String(255), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("message_id", Text),
    Column("raw_sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False, default=0),
    Column("internal_date", UTCDateTime(timezone=True), nullable=False),
    Column("date_header", Text),
    Column("sender", Text),
    Column("subject", Text),
    Column("in_reply_to", Text),
    Column("references", Text),
    # The receiving server's verdict on the sender (Authentication-Results): verified | failed |
    # unknown, and the header text it rests on.
    Column("auth_verdict", String(16)),
    Column("auth_detail", Text),
    # received | registered | automatic | no_report | quarantined | duplicate | failed
    Column("state", String(16), nullable=False, default="received"),
    Column("reason", Text),
    Column("duplicate_of_id", Integer, ForeignKey("messages.id")),
    Column("fetched_at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
    Column("marked_on_server", Boolean, nullable=False, default=False),
    # Staff said this message needs no registration (casefile dismiss): it leaves the inbox.
    Column("dismissed_at", UTCDateTime(timezone=True)),
    Column("dismissed_by", String(64)),
    Column("dismiss_reason", Text),
    UniqueConstraint("mailbox", "folder", "uidvalidity", "uid", name="uq_messages_identity"),
    Index("ix_messages_msgid_sha", "message_id", "raw_sha256"),
    Index("ix_messages_state", "state"),
)

stored_files = Table(
    "stored_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(255)),
    Column("stored_at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("diarienummer", String(64), nullable=False, unique=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("serial", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    # in | out | internal (inkommande, utgående, upprättad)
    Column("direction", String(8), nullable=False, default="in"),
    # email | post | hand | other: how an incoming document reached the office
    Column("channel", String(16), nullable=False, default="email", server_default="email"),
    Column("received_at", UTCDateTime(timezone=True), nullable=False),
    Column("received_date", Date, nullable=False),
    Column("registered_at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
    Column("sender", Text),
    Column("subject", Text),
    Column("title", Text, nullable=False, default=""),
    Column("organisation", Text, nullable=False, default=""),
    Column("fields", JSON, nullable=False, default=dict),
    Column("sections", JSON, nullable=False, default=dict),
    Column("findings", JSON, nullable=False, default=list),
    Column("submitter_signed", Boolean, nullable=False, default=False),
    Column("signature", String(16)),
    Column("signed_at", UTCDateTime(timezone=True)),
    # registered | incomplete | completed | cancelled
    Column("status", String(16), nullable=False, default="registered"),
    Column("cancelled", Boolean, nullable=False, default=False),
    Column("cancel_reason", Text),
    Column("source_message_id", Integer, ForeignKey("messages.id")),
    # Who registered it by hand (casefile register) or forwarded it from a staff address.
    Column("registered_by", String(64)),
    # The sender's authentication verdict when registered: verified | failed | unknown.
    Column("sender_verdict", String(16)),
    # Why staff should look at this document; shown by show and inbox.
    Column("flag", Text),
    # OSL 5:5 secrecy marking (casefile secrecy): provision, public title, when and by whom.
    Column("secrecy_provision", Text),
    Column("secrecy_public_title", Text),
    Column("secrecy_at", UTCDateTime(timezone=True)),
    Column("secrecy_by", String(64)),
    # Not unique: a moved document keeps the serial of its number (casefile move).
    Index("ix_documents_case_serial", "case_id", "serial"),
    Index("ix_documents_received", "received_at", "id"),
    Index("ix_documents_status", "status"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("sha256", String(64), ForeignKey("stored_files.sha256"), nullable=False),
    Column("filename", Text),
    Column("media_type", String(255)),
    Column("size", BigInteger, nullable=False),
    # report | other | quarantined | duplicate
    Column("state", String(16), nullable=False),
    Column("error", Text),
    Column("document_id", Integer, ForeignKey("documents.id")),
    Index("ix_attachments_state", "state"),
)

mailbox_state = Table(
    "mailbox_state",
    metadata,
    Column("mailbox", String(128), primary_key=True),
    Column("folder", String(255), primary_key=True),
    Column("uidvalidity", BigInteger),
    Column("last_uid", BigInteger, nullable=False, default=0),
    Column("last_success_at", UTCDateTime(timezone=True)),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime(timezone=True)),
    Column("waiting", Integer, nullable=False, default=0),
    # Graph: the folder's @odata.deltaLink after the last complete pass.
    Column("sync_state", Text),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    # One mail per purpose: 'kvittens:doc:12', 'paminnelse:case:3:-14', ...
    Column("dedupe_key", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("document_id", Integer, ForeignKey("documents.id")),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("in_reply_to", Text),
    Column("raw", LargeBinary, nullable=False),
    # queued | sending | sent | failed | suppressed | uncertain
    Column("state", String(16), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
    Column("last_error", Text),
    Column("created_at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
    Column("sent_at", UTCDateTime(timezone=True)),
    Index("ix_outbox_state_next", "state", "next_attempt_at"),
)

message_attempts = Table(
    "message_attempts",
    metadata,
    # A poison marker: written and committed before a message is handled, cleared (set to 0)
    # when it is recorded. A message whose handling killed the process twice is recorded as
    # failed on the next start instead of being tried again.
    Column("mailbox", String(128), primary_key=True),
    Column("folder", String(255), primary_key=True),
    Column("uidvalidity", BigInteger, primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_started_at", UTCDateTime(timezone=True)),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(timezone=True), nullable=False, default=utcnow),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("document_id", Integer, ForeignKey("documents.id")),
    Column("source_message_id", Integer, ForeignKey("messages.id")),
    Column("detail", JSON, nullable=False, default=dict),
    Index("ix_events_case", "case_id"),
    Index("ix_events_document", "document_id"),
)

search_entries = Table(
    "search_entries",
    metadata,
    # What `casefile search` looks in: one row per document ("doc:<id>") and per case
    # ("case:<id>"), rewritten in the transaction that changes its source. The full-text index
    # over `content` is dialect-specific and made by migration 0007: an FTS5 table kept in step by
    # triggers on SQLite; on PostgreSQL a GIN index on the column search_vector, stored and
    # generated as to_tsvector('swedish', content) (migration 0009).
    Column("id", Integer, primary_key=True),
    Column("ref", String(32), nullable=False, unique=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("document_id", Integer, ForeignKey("documents.id")),
    Column("content", Text, nullable=False, default=""),
)
