"""How much of a sender's text our automatic mail quotes (issue 12): as little as it can."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case, Document
from casefile.register import register_document
from intake.outgoing import queue_for_document
from intake.outgoing.content import defang, paminnelse_context, sender_text
from tests.outgoing.conftest import outbox, register, reply
from tests.outgoing.mailparts import html_of, parse, text_of
from tests.register.factories import new_report

PHISH = "Konto spärras – logga in på https://evil.example/login omedelbart"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PHISH, "Konto spärras – logga in på hxxps://evil[.]example/login omedelbart"),
        ("se http://evil.example", "se hxxp://evil[.]example"),
        ("besök www.evil.example/x", "besök www[.]evil[.]example/x"),
        ("logga in på evil.example/login", "logga in på evil[.]example/login"),
        ("Kärnhuset 2.0", "Kärnhuset 2.0"),
    ],
)
def test_defang_makes_web_addresses_unclickable(text: str, expected: str) -> None:
    assert defang(text) == expected


def test_sender_text_is_empty_unless_trusted_and_short_when_it_is() -> None:
    assert sender_text(PHISH, "unknown") == ""
    assert sender_text(PHISH, "failed") == ""
    quoted = sender_text(PHISH, "verified")
    assert len(quoted) <= 60 and "https" not in quoted
    assert sender_text("Rad ett\nBcc: x@y.se", None) == "Rad ett Bcc: x@y[.]se"


def set_verdict(app: App, number: str, verdict: str) -> None:
    with app.sessions() as s, s.begin():
        doc = s.execute(select(Document).where(Document.diarienummer == number)).scalar_one()
        doc.sender_verdict = verdict


def test_kvittens_of_an_unverified_sender_quotes_none_of_its_text(app: App) -> None:
    """Given a sender we could not verify, the kvittens names the number and date only."""
    with app.sessions() as s, s.begin():
        new = new_report(title=PHISH, organisation="Evil AB", sender_verdict="unknown")
        doc = register_document(s, app.settings, new)
        queue_for_document(s, app.settings, doc, reply())
    [row] = outbox(app)
    msg = parse(row.raw)
    assert msg["Subject"] == "[SFG 26-01.01] Kvittens: slutrapport har registrerats"
    for body in (text_of(msg), html_of(msg)):
        assert "SFG 26-01.01" in body and "2026-02-03" in body
        assert "Konto" not in body and "evil" not in body and "Evil AB" not in body


def test_kvittens_of_a_verified_sender_quotes_the_title_defanged(app: App) -> None:
    register(app, title=PHISH, organisation="Kommun A", sender_verdict="verified")
    [row] = outbox(app)
    body = text_of(parse(row.raw))
    assert "hxxps://evil[.]example" in body and "https://" not in body
    assert "Kommun A" in body


def test_reminder_quotes_the_case_title_only_from_a_verified_report(app: App) -> None:
    register(app, title=PHISH, organisation="Evil AB", sender_verdict="unknown")
    with app.sessions() as s:
        case = s.execute(select(Case)).scalar_one()
        ctx = paminnelse_context(app.settings, case, dt.date(2026, 3, 16), dt.date(2026, 3, 2))
        assert ctx["facts"] == [("Ärende", "SFG 26-01"), ("Sista dag", "2026-03-16")]
        assert ctx["subject_title"] == "SFG 26-01"
    set_verdict(app, "SFG 26-01.01", "verified")
    with app.sessions() as s:
        case = s.execute(select(Case)).scalar_one()
        ctx = paminnelse_context(app.settings, case, dt.date(2026, 3, 16), dt.date(2026, 3, 2))
        assert ("Organisation", "Evil AB") in ctx["facts"]
