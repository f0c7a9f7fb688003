"""IMAP IDLE (RFC 2177): new mail is taken as soon as the server reports it.

One thread per IMAP mailbox keeps its own connection waiting in IDLE on the mailbox's folder.
When the server reports EXISTS or RECENT, the thread asks the service to run that mailbox's poll
job now; the poll itself is the usual one (exactly once, same code). IDLE is ended and started
again before 29 minutes, as the RFC asks, and the scheduled poll stays as the fallback. A
dropped connection is reopened with a doubling delay, and a poll is asked for after the reopen,
since mail may have come while it was down. A server without IDLE is left to the schedule.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from casefile.app import App
from casefile.config import MailboxSettings
from intake.auth.backoff import for_settings

log = logging.getLogger("intake.service")

# RFC 2177: servers may drop an IDLE after 30 minutes; renew well before.
RENEW_SECONDS = 25 * 60.0
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 300.0
# How often the IDLE wait looks up to see whether the service is stopping.
CHECK_SECONDS = 1.0
NEW_MAIL = (b"EXISTS", b"RECENT")


def wants_idle(box: MailboxSettings) -> bool:
    return box.enabled and box.type == "imap" and box.idle


class IdleWatcher(threading.Thread):
    def __init__(
        self,
        app: App,
        box: MailboxSettings,
        wake: Callable[[str], None],
        stop: threading.Event,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        super().__init__(name=f"idle:{box.name}", daemon=True)
        self.app = app
        self.box = box
        self.wake = wake
        self.stop = stop
        self.renew_seconds = renew_seconds
        self.connects = 0
        self.idles = 0  # IDLE commands sent (one per renewal)
        self.offered: bool | None = None

    def run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while not self.stop.is_set():
            client: Any = None
            try:
                client = self._connect()
                if client is None:
                    return  # no IDLE on this server: the schedule does it all
                delay = FIRST_RETRY_SECONDS
                self._wait_for_mail(client)
            except Exception as exc:
                if self.stop.is_set():
                    break
                log.warning(
                    "brevlåda %s: IDLE-förbindelsen bröts (%s); öppnar igen om %.0f s",
                    self.box.name,
                    " ".join(str(exc).split())[:200] or type(exc).__name__,
                    delay,
                )
            finally:
                if client is not None:
                    _close(client)
            self.stop.wait(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    def _connect(self) -> Any:
        from intake.sources.imap import ImapSource

        source = ImapSource.for_settings(
            self.app.settings, self.box, for_settings(self.app.settings)
        )
        client = source.connect()
        if not client.has_capability("IDLE"):
            self.offered = False
            log.info(
                "brevlåda %s: servern erbjuder inte IDLE; hämtar var %d s",
                self.box.name,
                self.box.poll_interval_seconds,
            )
            _close(client)
            return None
        self.offered = True
        client.select_folder(self.box.folder, readonly=True)
        self.connects += 1
        if self.connects > 1:
            # Mail may have come while the connection was down.
            self.wake(self.box.name)
        log.info("brevlåda %s: väntar på ny post (IDLE)", self.box.name)
        return client

    def _wait_for_mail(self, client: Any) -> None:
        while not self.stop.is_set():
            client.idle()
            self.idles += 1
            started = time.monotonic()
            new_mail = False
            try:
                while not self.stop.is_set() and time.monotonic() - started < self.renew_seconds:
                    responses = client.idle_check(timeout=CHECK_SECONDS)
                    if not responses and _closed(client):
                        raise ConnectionError("servern stängde förbindelsen")
                    if any(_is_new_mail(r) for r in responses):
                        new_mail = True
                        break
            finally:
                client.idle_done()
            if new_mail:
                self.wake(self.box.name)


def _is_new_mail(response: Any) -> bool:
    if not isinstance(response, tuple) or not response:
        return False
    if response[0] == b"BYE":
        raise ConnectionError("servern avslutade förbindelsen (BYE)")
    return len(response) >= 2 and response[1] in NEW_MAIL


def _closed(client: Any) -> bool:
    """Whether the server closed the connection: imapclient's idle_check returns nothing both
    when its wait ran out and at end of file, so peek at the socket (below any TLS layer)."""
    sock = client.socket()
    timeout = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return socket.socket.recv(sock, 1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.settimeout(timeout)


def _close(client: Any) -> None:
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()
