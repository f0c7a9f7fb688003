"""A crash at any Graph step loses no mail, registers nothing twice and sends no kvittens twice.

A real `intake poll --once` (Graph mailbox, [smtp] transport = "graph") is killed with SIGKILL
at each named point (CASEFILE_FAULT, casefile/faults.py), as tests/intake/test_crash.py does
for IMAP; the next poll must register every report once, move it, and send its kvittens once.

The one duplicate left possible is by design: killed after sendMail took a kvittens but before
the outbox recorded it (graph_sent), the row is found "sending" on the next run and becomes
"uncertain" for staff, never sent again behind their back; a person who requeues it without
checking Sent Items sends it twice.
"""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, OutboxMail, SourceMessage
from tests.graph.conftest import SECRET_ENV, USER, graph_box, graph_sections
from tests.intake.conftest import build_app
from tests.support.graph_server import GraphStub, GraphTokenStub
from tests.support.mail import REPORTS, message
from tests.support.smtp import CA_FILE
from tests.support.toml import write_config

INTAKE = str(Path(sys.executable).parent / "intake")
FILES = ["r01_cell_iso_endash.docx", "r02_row_compact_nbsp.docx", "r03_right_sdt_overspent.docx"]


def _poll(config: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CASEFILE_FAULT"}
    if fault:
        env["CASEFILE_FAULT"] = fault
    return subprocess.run(
        [INTAKE, "--config", str(config), "poll", "--once", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sections(tmp_path: Path, tokens: GraphTokenStub, graph: GraphStub) -> dict[str, Any]:
    smtp = {
        "transport": "graph",
        "oauth2": "graph",
        "username": USER,
        "graph_url": graph.url,
        "from_address": USER,
        "ca_file": str(CA_FILE),
    }
    return {"smtp": smtp, **graph_sections(tokens, graph)}


@pytest.mark.parametrize(
    "fault",
    ["graph_listed", "graph_fetched", "after_commit", "graph_moved", "after_mark", "graph_sent"],
)
def test_sigkill_at_each_graph_step_then_poll_again_registers_and_sends_once(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    for i, name in enumerate(FILES):
        raw = bytes(message(subject=name, attachments=[(name, (REPORTS / name).read_bytes())]))
        graph.deliver(raw, f"2026-02-0{i + 3}T09:00:00Z")
    sections = _sections(tmp_path, tokens, graph)
    app = build_app(db_url, tmp_path, graph_box(graph), **sections)
    # The same settings as a file, for the real command.
    config = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "registry": {"office_name": "Samordningsförbund Gävleborg"},
            "mailboxes": [graph_box(graph)],
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
            **sections,
        },
    )
    try:
        crashed = _poll(config, fault)
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        again = _poll(config)
        assert again.returncode == 0, again.stderr
        json.loads(again.stdout)
        _assert_once(app, graph, fault)
        # A third poll finds nothing new and sends nothing.
        sent = len(graph.sent)
        assert _poll(config).returncode == 0
        assert len(graph.sent) == sent
        _assert_once(app, graph, fault)
    finally:
        app.engine.dispose()


def _assert_once(app: App, graph: GraphStub, fault: str) -> None:
    with app.sessions() as s:
        numbers = s.scalars(select(Document.diarienummer)).all()
        messages = s.scalars(select(SourceMessage)).all()
        outbox = sorted(s.scalars(select(OutboxMail.state)).all())
    assert len(numbers) == len(FILES) == len(set(numbers))
    assert len(messages) == len(FILES) and all(m.marked_on_server for m in messages)
    assert len(graph.in_folder("Diarieförda")) == len(FILES) and not graph.in_folder("Inbox")
    # Each report's kvittens reached Graph exactly once.
    replies = [email.message_from_bytes(raw)["In-Reply-To"] for raw in graph.sent]
    assert len(replies) == len(FILES) == len(set(replies))
    if fault == "graph_sent":
        # Sent once; the outbox cannot know, so staff are told instead of a second sending.
        assert outbox == ["sent", "sent", "uncertain"]
    else:
        assert outbox == ["sent"] * len(FILES)
