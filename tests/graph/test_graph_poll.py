"""A Graph mailbox polled exactly once: delta with paging, restarts, a lost delta token,
a pass stopped between commit and move, New Year's night, throttling and a refusal."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casefile.app import App
from casefile.db.models import Document, MailboxState, SourceMessage
from intake.mail.poll import poll_all
from intake.sources import graph as source
from tests.graph.conftest import SECRET_ENV, graph_box, graph_sections
from tests.intake.conftest import build_app
from tests.support.graph_server import GraphStub, GraphTokenStub
from tests.support.mail import REPORTS, message

DOCX = sorted(REPORTS.glob("r0*.docx"))
_used: list[str] = []


def report(subject: str) -> bytes:
    """A message with a report no earlier message in the test carried (the PDFs too)."""
    files = [*DOCX, *sorted(REPORTS.glob("r0*.pdf"))]
    path = files[len(_used) % len(files)]
    _used.append(subject)
    return bytes(message(subject=subject, attachments=[(path.name, path.read_bytes())]))


def counts(app: App) -> tuple[int, int]:
    """(messages recorded, documents registered)."""
    with app.sessions() as s:
        return (
            int(s.scalar(select(func.count()).select_from(SourceMessage)) or 0),
            int(s.scalar(select(func.count()).select_from(Document)) or 0),
        )


def poll_ok(app: App) -> None:
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]


def test_five_messages_over_three_pages_are_registered_once_across_polls_and_a_restart(
    graph_app: App, graph: GraphStub
) -> None:
    """Given five messages (pages of two), when polled twice, then restarted (a new App on the
    same register) and polled again, then five are recorded once and all moved."""
    for i in range(5):
        graph.deliver(report(f"Rapport {i}"), f"2026-02-0{i + 1}T09:00:00Z")
    poll_ok(graph_app)
    assert counts(graph_app) == (5, 5)
    assert len(graph.in_folder("Diarieförda")) == 5 and not graph.in_folder("Inbox")
    poll_ok(graph_app)
    again = App(graph_app.settings)
    try:
        graph.deliver(report("Rapport 6"), "2026-02-07T09:00:00Z")
        poll_ok(again)
        assert counts(again) == (6, 6)
    finally:
        again.engine.dispose()
    with graph_app.sessions() as s:
        state = s.get(MailboxState, ("kontakt", "Inbox"))
        assert state is not None and state.sync_state and "$deltatoken=" in state.sync_state
    # The restart continued from the kept delta link: no listing from the start again.
    starts = [
        t
        for m, t in graph.requests
        if t.endswith("delta?$select=id,internetMessageId,receivedDateTime,categories")
    ]
    assert len(starts) == 1


def test_a_lost_delta_token_lists_the_folder_again_and_registers_nothing_twice(
    graph_app: App, graph: GraphStub
) -> None:
    """Given a message registered but left in the Inbox (no processed folder move: the move
    failed once), and then the delta token expires (410), when polled, then the full listing
    registers only the new message."""
    graph.deliver(report("Första"), "2026-02-03T09:00:00Z")
    poll_ok(graph_app)
    graph.fail_moves = True
    graph.deliver(report("Andra"), "2026-02-04T09:00:00Z")
    assert not poll_all(graph_app)[0].ok
    graph.fail_moves = False
    poll_ok(graph_app)
    graph.expired_tokens.update(range(1, graph.seq + 1))
    graph.deliver(report("Tredje"), "2026-02-05T09:00:00Z")
    # An old message put back in the Inbox by hand is listed again too.
    moved = graph.in_folder("Diarieförda")[0]
    moved.folder = "inbox"
    poll_ok(graph_app)
    assert counts(graph_app) == (3, 3)


def test_a_pass_stopped_between_commit_and_move_is_moved_on_the_next_poll_not_registered_again(
    graph_app: App, graph: GraphStub
) -> None:
    """Given a move that fails after the commit, when polled again, then the message is moved
    and still recorded once."""
    graph.deliver(report("Rapport"), "2026-02-03T09:00:00Z")
    graph.fail_moves = True
    result = poll_all(graph_app)[0]
    assert not result.ok and "flytten till Diarieförda" in (result.error or "")
    assert counts(graph_app) == (1, 1) and len(graph.in_folder("Inbox")) == 1
    graph.fail_moves = False
    poll_ok(graph_app)
    assert counts(graph_app) == (1, 1)
    assert len(graph.in_folder("Diarieförda")) == 1 and not graph.in_folder("Inbox")
    with graph_app.sessions() as s:
        assert s.scalars(select(SourceMessage.marked_on_server)).all() == [True]


def test_received_at_0020_swedish_time_on_new_years_day_gets_the_new_years_number(
    graph_app: App, graph: GraphStub
) -> None:
    graph.deliver(report("Nyår"), "2025-12-31T23:20:00Z")
    poll_ok(graph_app)
    with graph_app.sessions() as s:
        doc = s.scalars(select(Document)).one()
    assert (doc.diarienummer, doc.received_date) == ("SFG 26-01.01", dt.date(2026, 1, 1))


def test_throttled_requests_wait_for_retry_after_in_both_forms_and_lose_nothing(
    graph_app: App, graph: GraphStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given 429 (Retry-After: 7), 503 (none: backoff 2 s) and 429 with a past HTTP date, when
    polled, then the waits are 7, 2 and 0 s and the message is registered."""
    waits: list[float] = []
    clock = [time.time()]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(source, "_sleep", sleep)
    monkeypatch.setattr(source, "_now", lambda: clock[0])
    graph.deliver(report("Rapport"), "2026-02-03T09:00:00Z")
    graph.throttle = [(429, "7"), (503, None), (429, "Wed, 21 Oct 2015 07:28:00 GMT")]
    poll_ok(graph_app)
    assert counts(graph_app) == (1, 1)
    assert waits == [7.0, 2.0, 0.0]


def test_a_mailbox_outside_the_apps_scope_gives_one_line_naming_the_permission(
    graph_app: App, graph: GraphStub
) -> None:
    graph.user = "someone.else@finsam.test"
    result = poll_all(graph_app)[0]
    assert not result.ok
    error = result.error or ""
    assert "\n" not in error and "403 ErrorAccessDenied" in error
    assert "Mail.ReadWrite" in error and "New-ApplicationAccessPolicy" in error
    assert counts(graph_app) == (0, 0)


def test_a_message_over_the_size_limit_is_recorded_as_failed_and_the_rest_go_on(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a message larger than limits.max_message_bytes before a small one, when polled,
    then the large one is recorded as failed (left in the Inbox), the small one is registered,
    and the next poll changes nothing."""
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    app = build_app(
        db_url,
        tmp_path,
        graph_box(graph),
        limits={"max_message_bytes": 200_000},
        **graph_sections(tokens, graph),
    )
    try:
        big = bytes(message(subject="Stor", attachments=[("bilaga.bin", b"x" * 300_000)]))
        graph.deliver(big, "2026-02-03T09:00:00Z")
        graph.deliver(report("Liten"), "2026-02-03T10:00:00Z")
        poll_ok(app)
        poll_ok(app)
        with app.sessions() as s:
            states = sorted(s.scalars(select(SourceMessage.state)))
            reason = s.scalar(select(SourceMessage.reason).where(SourceMessage.state == "failed"))
        assert states == ["failed", "registered"]
        assert "för stort" in (reason or "")
        assert len(graph.in_folder("Inbox")) == 1 and len(graph.in_folder("Diarieförda")) == 1
    finally:
        app.engine.dispose()


def test_an_unknown_certificate_is_refused_in_one_line_and_nothing_is_read(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given the Graph server's CA not configured (no ca_file), when polled, then TLS
    verification refuses the certificate and nothing is fetched."""
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    box = {k: v for k, v in graph_box(graph).items() if k != "ca_file"}
    app = build_app(db_url, tmp_path, box, **graph_sections(tokens, graph))
    try:
        graph.deliver(report("Rapport"), "2026-02-03T09:00:00Z")
        (result,) = poll_all(app)
        assert not result.ok and "CERTIFICATE_VERIFY_FAILED" in (result.error or "")
        assert "\n" not in (result.error or "") and counts(app) == (0, 0)
    finally:
        app.engine.dispose()


def test_a_revoked_token_is_fetched_anew_once_and_the_poll_goes_on(
    graph_app: App, graph: GraphStub, tokens: GraphTokenStub
) -> None:
    """Given the cached token revoked between polls, when polled, then Graph's 401 makes the
    source fetch one fresh token and the new message is registered."""
    graph.deliver(report("Första"), "2026-02-03T09:00:00Z")
    poll_ok(graph_app)
    tokens.revoke_all()
    before = tokens.requests
    graph.deliver(report("Andra"), "2026-02-04T09:00:00Z")
    poll_ok(graph_app)
    assert counts(graph_app) == (2, 2) and tokens.requests - before == 1


def test_a_category_instead_of_a_move_marks_the_message_and_keeps_it_in_the_inbox(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given processed_category and no processed_folder, when polled twice, then the message
    is registered once, stays in the Inbox with its own category and ours, and the second
    poll (which lists it again as updated) registers nothing."""
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    box = graph_box(graph, processed_folder=None, processed_category="Diarieförd")
    app = build_app(db_url, tmp_path, box, **graph_sections(tokens, graph))
    try:
        msg_id = graph.deliver(report("Rapport"), "2026-02-03T09:00:00Z")
        graph.messages[msg_id].categories = ["Röd kategori"]
        poll_ok(app)
        (kept,) = graph.in_folder("Inbox")
        assert kept.categories == ["Röd kategori", "Diarieförd"]
        poll_ok(app)
        assert counts(app) == (1, 1)
        with app.sessions() as s:
            assert s.scalars(select(SourceMessage.marked_on_server)).all() == [True]
    finally:
        app.engine.dispose()
