"""The register's rows as the mail tests read them back, in the order they were written, and
one poll that must succeed."""

from __future__ import annotations

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, OutboxMail, SourceMessage


def documents(app: App) -> list[Document]:
    with app.sessions() as s:
        return list(s.scalars(select(Document).order_by(Document.id)))


def messages(app: App) -> list[SourceMessage]:
    with app.sessions() as s:
        return list(s.scalars(select(SourceMessage).order_by(SourceMessage.id)))


def outbox(app: App) -> list[OutboxMail]:
    with app.sessions() as s:
        return list(s.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def poll(app: App) -> None:
    """Poll every mailbox once; every mailbox must answer."""
    from intake.mail.poll import poll_all

    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]
