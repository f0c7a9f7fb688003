"""[smtp] transport = "graph": the kvittens through sendMail, its headers, a refusal and a
lost answer."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import OutboxMail
from intake.mail.classify import automatic_reason
from intake.mail.mime import parse_message
from intake.mail.poll import poll_all
from intake.outgoing.sender import flush_outbox
from tests.graph.conftest import SECRET_ENV, USER, graph_box, graph_sections
from tests.intake.conftest import build_app
from tests.support.graph_server import GraphStub, GraphTokenStub
from tests.support.mail import REPORTS, message
from tests.support.smtp import CA_FILE

REPORT = "r01_cell_iso_endash.docx"
SENDER = "anna.berg@bollnas.test"


@pytest.fixture
def send_app(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    smtp = {
        "transport": "graph",
        "oauth2": "graph",
        "username": USER,
        "graph_url": graph.url,
        "from_address": USER,
        "timeout_seconds": 1.0,
        "ca_file": str(CA_FILE),
    }
    app = build_app(db_url, tmp_path, graph_box(graph), smtp=smtp, **graph_sections(tokens, graph))
    yield app
    graph.release.set()
    app.engine.dispose()


def receive_report(app: App, graph: GraphStub) -> str:
    """One report in through Graph; its Message-ID."""
    msg = message(attachments=[(REPORT, (REPORTS / REPORT).read_bytes())])
    graph.deliver(bytes(msg), "2026-02-03T09:00:00Z")
    assert all(r.ok for r in poll_all(app))
    return str(msg["Message-ID"])


def rows(app: App) -> list[OutboxMail]:
    with app.sessions() as s:
        return list(s.scalars(select(OutboxMail)))


def test_sendmail_delivers_the_kvittens_as_mime_with_threading_and_loop_headers(
    send_app: App, graph: GraphStub
) -> None:
    """Given a registered report, when the outbox is flushed, then Graph got the kvittens's
    MIME: to the sender, In-Reply-To the report, Auto-Submitted and our loop header."""
    original = receive_report(send_app, graph)
    result = flush_outbox(send_app.sessions, send_app.settings)
    assert result.sent == 1, [r.last_error for r in rows(send_app)]
    assert len(graph.sent) == 1
    sent = email.message_from_bytes(graph.sent[0], policy=email.policy.default)
    assert sent["To"] == SENDER and sent["From"].addresses[0].addr_spec == USER
    assert sent["In-Reply-To"] == original
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Casefile-Loop"] == USER
    assert sent["Message-ID"] == rows(send_app)[0].message_id


def test_a_kvittens_coming_back_without_our_x_header_is_still_never_filed(
    send_app: App, graph: GraphStub
) -> None:
    """Given Graph dropped the X- loop header (as Zammad reports for custom headers), when the
    kvittens comes back to the mailbox, then Auto-Submitted and our own From still stop it."""
    receive_report(send_app, graph)
    assert flush_outbox(send_app.sessions, send_app.settings).sent == 1
    head, sep, body = graph.sent[0].partition(b"\r\n\r\n")
    stripped = b"\r\n".join(
        line for line in head.split(b"\r\n") if not line.lower().startswith(b"x-casefile-loop")
    )
    parsed = parse_message(stripped + sep + body, 64 * 1024, "X-Casefile-Loop")
    reason = automatic_reason(parsed, "X-Casefile-Loop", USER)
    assert reason in {"own_address", "auto_submitted"}


def test_a_refused_sendmail_keeps_the_mail_queued_and_names_mail_send(
    send_app: App, graph: GraphStub
) -> None:
    receive_report(send_app, graph)
    graph.user = "someone.else@finsam.test"  # the app's scope no longer holds the mailbox
    result = flush_outbox(send_app.sessions, send_app.settings)
    assert result.sent == 0 and not graph.sent
    (row,) = rows(send_app)
    assert row.state == "queued"
    assert "Mail.Send" in (row.last_error or "") and "403" in (row.last_error or "")


def test_no_answer_after_sendmail_was_sent_makes_the_mail_uncertain_not_sent_again(
    send_app: App, graph: GraphStub
) -> None:
    receive_report(send_app, graph)
    graph.stall_send = True
    result = flush_outbox(send_app.sessions, send_app.settings)
    assert result.uncertain == 1 and len(graph.sent) == 1
    graph.release.set()
    graph.stall_send = False
    assert flush_outbox(send_app.sessions, send_app.settings).sent == 0
    assert len(graph.sent) == 1 and rows(send_app)[0].state == "uncertain"
