"""A small IMAP4rev1 server on loopback for the IDLE tests: just enough for imapclient's
LOGIN, CAPABILITY, SELECT/EXAMINE, IDLE/DONE, NOOP and LOGOUT.

Dovecot answers new mail in IDLE with both RECENT and EXISTS; IMAP4rev2 servers, Microsoft 365
and Gmail send EXISTS alone. This server sends only what a test tells it to (`push`), can drop
every connection (`drop`), refuse connections outright (`refuse`), and counts what it was sent,
so a test waits for the client's commands instead of for time.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Callable

WAIT_SECONDS = 15.0


class LoopbackImap(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, idle: bool = True) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = int(self.server_address[1])
        self.capabilities = "IMAP4rev1 LITERAL+" + (" IDLE" if idle else "")
        self.exists = 1  # messages in INBOX
        self.refuse = False  # close every connection before the greeting
        self.seen: Counter[str] = Counter()  # commands received, by name; "CONNECT" too
        self._changed = threading.Condition()
        self._idling: list[_Handler] = []
        self._open: list[_Handler] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    # -- the test's side ------------------------------------------------------------------

    def start(self) -> LoopbackImap:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.drop()
        self.server_close()

    def mailbox_settings(self, name: str = "kontakt", **extra: object) -> dict[str, object]:
        os.environ["TEST_LOOPBACK_IMAP_PW"] = "hemligt"
        return {
            "name": name,
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "username": "kontakt",
            "password_env": "TEST_LOOPBACK_IMAP_PW",
            "timeout_seconds": 10,
        } | extra

    def wait_for(self, what: Callable[[], bool], why: str) -> None:
        """Until `what()` holds (checked whenever a command arrives); fails after a while."""
        with self._changed:
            if not self._changed.wait_for(what, timeout=WAIT_SECONDS):
                raise AssertionError(f"the IMAP client did not: {why}; seen {dict(self.seen)}")

    def push(self, *lines: str) -> None:
        """Send untagged responses (`"2 EXISTS"`) to every connection waiting in IDLE."""
        with self._changed:
            clients = list(self._idling)
        assert clients, "nobody is in IDLE"
        for client in clients:
            client.send(*lines)

    def drop(self) -> None:
        """Close every open connection, as a server restart or a NAT timeout would."""
        with self._changed:
            clients = list(self._open)
        for client in clients:
            client.close()

    # -- the handlers' side ---------------------------------------------------------------

    def note(self, command: str, handler: _Handler, idling: bool | None = None) -> None:
        with self._changed:
            self.seen[command] += 1
            if command == "CONNECT":
                self._open.append(handler)
            if command == "CLOSED" and handler in self._open:
                self._open.remove(handler)
            if idling is True:
                self._idling.append(handler)
            elif idling is False and handler in self._idling:
                self._idling.remove(handler)
            self._changed.notify_all()


class _Handler(socketserver.StreamRequestHandler):
    server: LoopbackImap

    def setup(self) -> None:
        super().setup()
        self._lock = threading.Lock()

    def send(self, *lines: str) -> None:
        with self._lock, contextlib.suppress(OSError):
            for line in lines:
                self.wfile.write(f"* {line}\r\n".encode())
            self.wfile.flush()

    def reply(self, line: str) -> None:
        with self._lock:
            self.wfile.write(f"{line}\r\n".encode())
            self.wfile.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def handle(self) -> None:
        server = self.server
        if server.refuse:
            server.note("REFUSED", self)
            return
        server.note("CONNECT", self)
        try:
            self.reply(f"* OK [CAPABILITY {server.capabilities}] loopback ready")
            self._commands()
        except OSError:
            pass
        finally:
            server.note("CLOSED", self, idling=False)

    def _commands(self) -> None:
        server = self.server
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            tag, _, rest = raw.decode("utf-8", "replace").strip().partition(" ")
            command = rest.split(" ", 1)[0].upper()
            server.note(command, self)
            if command == "CAPABILITY":
                self.send(f"CAPABILITY {server.capabilities}")
                self.reply(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                self.reply(f"{tag} OK LOGIN completed")
            elif command in ("SELECT", "EXAMINE"):
                self.send(
                    "FLAGS (\\Seen)",
                    f"{server.exists} EXISTS",
                    "0 RECENT",
                    "OK [UIDVALIDITY 7] UIDs valid",
                    f"OK [UIDNEXT {server.exists + 1}] next",
                )
                mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
                self.reply(f"{tag} OK [{mode}] {command} completed")
            elif command == "IDLE" and "IDLE" in server.capabilities:
                self.reply("+ idling")
                server.note("IDLING", self, idling=True)
                done = self.rfile.readline()
                if done.strip().upper() != b"DONE":
                    return  # the connection closed (noted once, by handle)
                server.note("DONE", self, idling=False)
                self.reply(f"{tag} OK IDLE terminated")
            elif command == "NOOP":
                self.reply(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self.send("BYE logging out")
                self.reply(f"{tag} OK LOGOUT completed")
                return
            else:
                self.reply(f"{tag} BAD command unknown or not offered")
