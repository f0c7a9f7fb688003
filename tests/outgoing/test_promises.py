"""README promises of outgoing mail, through the real transport, sender and commands.

Each test was checked to fail when its promise is broken on purpose (see tests/MUTANTS.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casefile.app import App
from casefile.cli_support import config_option
from casefile.commands.outgoing import remind_command
from casefile.db.models import Case, Event, OutboxMail
from intake.outgoing import flush_outbox
from intake.outgoing.safety import one_line
from tests.outgoing.conftest import SENDER, build_app, later, outbox, register
from tests.outgoing.mailparts import parse


class DropAfterData:
    """A loopback SMTP server that takes the whole message, then hangs up without an answer.

    It speaks just enough SMTP for smtplib; every message it read to the final dot is counted,
    so a second delivery attempt would show as a second copy.
    """

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.copies: list[bytes] = []
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._session(conn.makefile("rwb"))

    def _session(self, stream: BinaryIO) -> None:
        def say(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 drop.test ESMTP")
        while line := stream.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                say("250 drop.test")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                say("250 OK")
            elif verb == b"DATA":
                say("354 go ahead")
                body = b""
                while (chunk := stream.readline()) and chunk != b".\r\n":
                    body += chunk
                self.copies.append(body)
                return  # the connection breaks before the 250
            elif verb == b"QUIT":
                say("221 bye")
                return
            else:
                say("502 not here")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dropping() -> Iterator[DropAfterData]:
    server = DropAfterData()
    yield server
    server.close()


def test_a_break_during_data_makes_the_mail_uncertain_and_it_is_never_resent(
    db_url: str, tmp_path: Path, dropping: DropAfterData, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a server that reads the whole message and then drops the connection, when the
    outbox is flushed again and again, then the mail is 'uncertain', the server got exactly
    one copy, and the operator's log has one error line for it."""
    smtp = {"transport": "smtp", "host": "127.0.0.1", "port": dropping.port,
            "security": "none", "timeout_seconds": 5}  # fmt: skip
    app = build_app(db_url, tmp_path, smtp=smtp, mail={"retry_base_seconds": 60})
    register(app)
    caplog.set_level(logging.INFO, logger="intake.outgoing.sender")

    first = flush_outbox(app.sessions, app.settings)
    for hours in (1, 24, 24 * 30):
        again = flush_outbox(app.sessions, app.settings, now=later(hours))
        assert (again.sent, again.retried, again.uncertain) == (0, 0, 0)

    assert (first.sent, first.retried, first.failed, first.uncertain) == (0, 0, 0, 1)
    [row] = outbox(app)
    assert row.state == "uncertain"
    assert (row.last_error or "").startswith("förbindelsen bröts under DATA: ")
    assert len(dropping.copies) == 1
    assert row.message_id.encode() in dropping.copies[0]
    with app.sessions() as session:
        events = list(session.scalars(select(Event).where(Event.action == "mail_uncertain")))
    [event] = events  # the audit log says it once, for this mail
    assert (event.case_id, event.document_id) == (row.case_id, row.document_id)
    assert event.detail == {
        "outbox_id": row.id,
        "message_id": row.message_id,
        "error": row.last_error,
    }
    lines = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "intake.outgoing.sender"
    ]
    assert lines == [("ERROR", f"outbox {row.id}: delivery uncertain: {row.last_error}")]
    app.engine.dispose()


def test_each_mail_whose_data_broke_is_counted_and_left_uncertain(
    db_url: str, tmp_path: Path, dropping: DropAfterData
) -> None:
    """Given two mails and a server that drops every connection after DATA, one flush tries
    each once on a fresh connection and counts both as uncertain."""
    smtp = {"transport": "smtp", "host": "127.0.0.1", "port": dropping.port,
            "security": "none", "timeout_seconds": 5}  # fmt: skip
    app = build_app(db_url, tmp_path, smtp=smtp)
    register(app, signed=False)  # a kvittens and a komplettering
    result = flush_outbox(app.sessions, app.settings)
    assert (result.sent, result.retried, result.failed, result.uncertain) == (0, 0, 0, 2)
    assert [r.state for r in outbox(app)] == ["uncertain", "uncertain"]
    assert (len(dropping.copies), dropping.connections) == (2, 2)
    app.engine.dispose()


def test_control_characters_never_reach_a_header(app: App) -> None:
    """Given a title with terminal escapes and other control characters, the Subject of the
    acknowledgement holds none of them: only the printable words, spaced once."""
    hostile = "\x01\x1b[31mRöd\x7f insats\t\tmed tabb\x08\x9b"
    assert one_line(hostile) == "[31mRöd insats med tabb"
    register(app, title=hostile, organisation=hostile, sender=f'"{hostile}" <{SENDER}>')
    for row in outbox(app):
        msg = parse(row.raw)
        for name, value in msg.items():
            assert not [c for c in str(value) if unicodedata.category(c) == "Cc"], (name, value)


@click.group()
@config_option
@click.pass_context
def root(ctx: click.Context, config_path: str | None) -> None:
    """Stands in for the `casefile` group the command is attached to."""
    ctx.meta["config_path"] = config_path


root.add_command(remind_command)


def test_remind_dry_run_does_not_list_a_step_already_queued(app: App, tmp_path: Path) -> None:
    """Given a reminder step already queued, when `remind --dry-run` runs for the same day and
    the day after, then it lists nothing for that case: each step goes out once."""
    s = app.settings
    config = tmp_path / "casefile.toml"
    config.write_text(
        f'[database]\nurl = "{s.database.url}"\n[storage]\npath = "{s.storage.path}"\n'
        f'[smtp]\ntransport = "folder"\nfolder = "{s.smtp.folder}"\n'
        f'from_address = "{s.smtp.from_address}"\n',
        encoding="utf-8",
    )
    with app.sessions() as session, session.begin():
        session.add(Case(number="SFG 25-07", year=2025, serial=7, title="SAFE", organisation="X",
                         contact_email=SENDER, due_date=dt.date(2026, 3, 16)))  # fmt: skip

    def remind(*args: str) -> dict[str, object]:
        result = CliRunner().invoke(root, ["--config", str(config), "remind", "--json", *args])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert isinstance(data, dict)
        return data

    planned = remind("--dry-run", "--date", "2026-03-16")
    assert [m["step_days"] for m in planned["mails"]] == [0]  # type: ignore[index]
    queued = remind("--queue", "--date", "2026-03-16")
    assert len(queued["mails"]) == 1  # type: ignore[arg-type]
    assert remind("--dry-run", "--date", "2026-03-16")["mails"] == []
    assert remind("--dry-run", "--date", "2026-03-17")["mails"] == []
    with app.sessions() as session:
        assert session.query(OutboxMail).count() == 1
