"""The IDLE watcher against servers that are not Dovecot's default: one that signals new mail
with EXISTS alone (IMAP4rev2, Microsoft 365, Gmail), one that drops the connection while mail
arrives, one that refuses connections, and one without IDLE (Dovecot configured so).

The loopback server (tests/support/imap_loopback.py) counts the client's commands, so each
test waits for what the watcher does, not for time; the reconnect delays are read from the
stop event the watcher waits on.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from casefile.app import App
from intake.service.idle import FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS, IdleWatcher
from tests.intake.conftest import build_app
from tests.support.dovecot import DovecotServer
from tests.support.imap_loopback import LoopbackImap

RENEW = 3600.0  # no renewal during a test: only mail ends an IDLE


class CountingStop(threading.Event):
    """The service's stop event, recording each reconnect delay the watcher waits; it stops
    the watcher after `waits` of them (and returns at once: the delays are read, not slept)."""

    def __init__(self, waits: int) -> None:
        super().__init__()
        self.waits = waits
        self.delays: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            self.delays.append(timeout)
            if len(self.delays) >= self.waits:
                self.set()
        return self.is_set()


@pytest.fixture
def loopback() -> Iterator[LoopbackImap]:
    server = LoopbackImap().start()
    yield server
    server.stop()


def watch(app: App, stop: threading.Event, woken: list[str], renew: float = RENEW) -> IdleWatcher:
    watcher = IdleWatcher(app, app.settings.mailboxes[0], woken.append, stop, renew)
    watcher.start()
    return watcher


def test_exists_without_recent_wakes_the_service(
    db_url: str, tmp_path: Path, loopback: LoopbackImap
) -> None:
    """Given a server that reports new mail only as `* 2 EXISTS`, when it does during IDLE,
    then the watcher ends the IDLE and asks for a poll."""
    app = build_app(db_url, tmp_path, loopback.mailbox_settings())
    woken: list[str] = []
    stop = threading.Event()
    watcher = watch(app, stop, woken)
    try:
        loopback.wait_for(lambda: loopback.seen["IDLING"] == 1, "start IDLE")
        assert woken == []
        loopback.exists = 2
        loopback.push("2 EXISTS")
        loopback.wait_for(lambda: loopback.seen["DONE"] == 1, "end IDLE on EXISTS")
        loopback.wait_for(lambda: loopback.seen["IDLING"] == 2, "go back to IDLE")
        assert woken == ["kontakt"]
    finally:
        stop.set()
        watcher.join(10)
        app.engine.dispose()
    assert not watcher.is_alive()


def test_mail_that_came_while_the_connection_was_down_is_polled_on_reconnect(
    db_url: str, tmp_path: Path, loopback: LoopbackImap
) -> None:
    """Given a watcher in IDLE, when a message arrives while its connection is down (the
    server drops it and says nothing of the new message afterwards), then on reconnecting it
    asks for a poll at once, not at the next scheduled one."""
    app = build_app(db_url, tmp_path, loopback.mailbox_settings())
    woken: list[str] = []
    stop = threading.Event()
    watcher = watch(app, stop, woken)
    try:
        loopback.wait_for(lambda: loopback.seen["IDLING"] == 1, "start IDLE")
        loopback.exists = 2  # arrived unannounced
        loopback.drop()
        loopback.wait_for(lambda: loopback.seen["IDLING"] == 2, "reconnect and IDLE again")
        assert woken == ["kontakt"]
        assert loopback.seen["CONNECT"] == 2 and watcher.connects == 2
    finally:
        stop.set()
        watcher.join(10)
        app.engine.dispose()


def test_the_reconnect_delay_doubles_up_to_its_cap_and_restarts_after_a_good_connection(
    db_url: str, tmp_path: Path, loopback: LoopbackImap
) -> None:
    """Given a server that closes every connection before its greeting, then the watcher
    waits 1, 2, 4, … s between tries, never more than the cap; after a connection that
    worked, the next wait is the first one again."""
    app = build_app(db_url, tmp_path, loopback.mailbox_settings())
    loopback.refuse = True
    stop = CountingStop(waits=11)
    watcher = watch(app, stop, [])
    watcher.join(30)
    assert not watcher.is_alive()
    doubling = [FIRST_RETRY_SECONDS * 2**i for i in range(9)]
    assert stop.delays == [*doubling, MAX_RETRY_SECONDS, MAX_RETRY_SECONDS]
    assert loopback.seen["REFUSED"] == 11

    loopback.refuse = False
    again = CountingStop(waits=2)
    watcher = watch(app, again, [])
    loopback.wait_for(lambda: loopback.seen["IDLING"] == 1, "start IDLE")
    loopback.drop()
    loopback.wait_for(lambda: loopback.seen["IDLING"] == 2, "reconnect and IDLE again")
    loopback.refuse = True
    loopback.drop()
    watcher.join(30)
    assert not watcher.is_alive()
    assert again.delays == [FIRST_RETRY_SECONDS, FIRST_RETRY_SECONDS]
    app.engine.dispose()


@pytest.fixture(scope="module")
def dovecot_without_idle() -> Iterator[DovecotServer]:
    # Not under pytest's tmp: Dovecot serves mail as nobody, who cannot enter root's folders.
    root = Path(tempfile.mkdtemp(prefix="casefile-dovecot-noidle-"))
    root.chmod(0o755)
    server = DovecotServer(root, extra_conf="imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_a_server_without_idle_is_left_to_the_schedule(
    db_url: str, tmp_path: Path, dovecot_without_idle: DovecotServer
) -> None:
    """Given Dovecot configured not to offer IDLE, then the watcher logs in once, sees no
    IDLE, and ends without a reconnect wait: the scheduled poll does the work."""
    account = dovecot_without_idle.add_account()
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    with account.client() as c:
        assert b"IDLE" not in c.capabilities()
    stop = CountingStop(waits=3)
    watcher = watch(app, stop, [])
    watcher.join(30)
    assert not watcher.is_alive()
    assert watcher.offered is False and stop.delays == [] and not stop.is_set()
    app.engine.dispose()
