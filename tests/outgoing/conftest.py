"""Outgoing-mail fixtures: an aiosmtpd server, an app that sends to it, and report factories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casefile.app import App
from casefile.db.migrate import upgrade
from casefile.db.models import Document
from casefile.register import register_document
from intake.outgoing import ReplyContext, queue_for_document
from tests.conftest import make_settings
from tests.register.factories import new_report
from tests.support.rows import outbox as outbox  # re-exported: the outgoing tests import it here
from tests.support.smtp import SmtpServer

SENDER = "anna.berg@bollnas.test"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def build_app(db_url: str, tmp_path: Path, **sections: dict[str, object]) -> App:
    settings = make_settings(db_url, tmp_path, **sections)
    app = App(settings)
    upgrade(app.engine)
    return app


@pytest.fixture
def smtp_app(db_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[App]:
    app = build_app(
        db_url,
        tmp_path,
        smtp=smtp.smtp_settings(),
        mail={"loop_header": "X-Casefile-Loop", "retry_base_seconds": 60},
    )
    yield app
    app.engine.dispose()


def reply(
    recipient: str | None = SENDER,
    message_id: str | None = "<rapport-1@bollnas.test>",
    references: str | None = "<tidigare-1@bollnas.test>",
    automatic: bool = False,
) -> ReplyContext:
    return ReplyContext(recipient, message_id, references, automatic)


def register(app: App, context: ReplyContext | None = None, **report: Any) -> tuple[int, list[int]]:
    """Register a report and queue its mail in one transaction, as the intake pipeline does."""
    with app.sessions() as s, s.begin():
        document = register_document(s, app.settings, new_report(**report))
        rows = queue_for_document(s, app.settings, document, context or reply())
        return document.id, [r.id for r in rows]


def document(app: App, document_id: int) -> Document:
    with app.sessions() as s:
        return s.get_one(Document, document_id)


def later(hours: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
