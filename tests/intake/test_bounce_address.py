"""Mail to our bounce address (`[mail] envelope_from`), or with it as Return-Path, is automatic:
it comes back because of mail we sent, and answering it could start a loop."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from casefile.db.models import Document, OutboxMail, SourceMessage
from intake.mail.poll import poll_all
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
BOUNCE = "retur@finsam.test"


def test_mail_to_or_from_the_bounce_address_is_automatic(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    """Given envelope_from = retur@, when a message delivered to it, one with it as Return-Path
    (carrying a report) and a person's question are polled from Dovecot, then the first two are
    automatic (the report is registered, its kvittens suppressed) and the question is not."""
    account.append(bytes(message(subject="Svar", headers={"Delivered-To": BOUNCE})), WHEN)
    account.append(
        bytes(
            message(headers={"Return-Path": f"<{BOUNCE.upper()}>"}, attachments=[("r.docx", DOCX)])
        ),
        WHEN,
    )
    account.append(bytes(message(subject="Fråga")), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings(), mail={"envelope_from": BOUNCE})
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]
    with app.sessions() as s:
        states = list(s.scalars(select(SourceMessage.state).order_by(SourceMessage.id)))
        documents = list(s.scalars(select(Document.diarienummer)))
        outbox = list(s.scalars(select(OutboxMail.state)))
    assert states == ["automatic", "registered", "no_report"]
    assert documents == ["SFG 26-01.01"]
    assert outbox == ["suppressed"]
