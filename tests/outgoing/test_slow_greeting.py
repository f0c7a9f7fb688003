"""The overall SMTP deadline covers connecting and the greeting, not only the mail exchange.

The server is real (a socket on loopback) and hostile: it accepts the connection and drips its
220 greeting one byte per second (for 30 s, far past the deadline), so no per-read timeout
fires.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.outgoing import flush_outbox
from tests.outgoing.conftest import build_app, outbox, register
from tests.support.slow import SlowServer


class DrippingGreeting(SlowServer):
    """Accepts, then sends its greeting one byte a second and never ends the line."""

    def __init__(self) -> None:
        self.cut = threading.Event()  # set when a client went away while we dripped
        super().__init__()

    def talk(self, conn: socket.socket) -> None:
        self.drip(conn, 30)  # ten times the deadline

    def went_away(self) -> None:
        self.cut.set()


@pytest.fixture
def dripping() -> Iterator[DrippingGreeting]:
    server = DrippingGreeting()
    yield server
    server.close()


def test_a_dripped_greeting_is_cut_at_the_deadline(
    db_url: str, tmp_path: Path, dripping: DrippingGreeting
) -> None:
    """Given a server that drips its greeting and a 3 s deadline (10 s per read), when the
    outbox is flushed, then the flush ends near the deadline, the connection is closed, and the
    acknowledgement waits in the queue saying why."""
    app = build_app(
        db_url,
        tmp_path,
        smtp={
            "transport": "smtp",
            "host": "127.0.0.1",
            "port": dripping.port,
            "security": "none",
            "timeout_seconds": 10,
            "deadline_seconds": 3,
            "from_address": "kontakt@finsam.test",
        },
    )
    register(app)
    started = time.monotonic()
    result = flush_outbox(app.sessions, app.settings)
    elapsed = time.monotonic() - started
    assert 2.5 < elapsed < 8, elapsed  # without the deadline: for ever
    assert (result.sent, result.retried) == (0, 1)
    [row] = outbox(app)
    assert row.state == "queued"
    assert "inom tidsgränsen (3 s)" in (row.last_error or "")
    assert dripping.cut.wait(5)  # the server saw the connection go
