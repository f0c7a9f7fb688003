"""Hostile loopback servers for the deadline tests: a real socket that answers too slowly. A
subclass says what it does with each connection (`talk`); `drip` sends a reply line one byte a
second and never ends it, so no per-read timeout fires."""

from __future__ import annotations

import socket
import threading
import time


class SlowServer:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.talk(conn)
        except OSError:
            self.went_away()
        finally:
            conn.close()

    def talk(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def went_away(self) -> None:
        """The client closed the connection while we talked."""

    def drip(self, conn: socket.socket, seconds: int) -> None:
        """One byte ("2") a second for `seconds` (then the caller hangs up, so a client that is
        never cut fails its test instead of hanging it)."""
        for _ in range(seconds):
            if self.stopped.is_set():
                break
            conn.sendall(b"2")
            time.sleep(1)

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
