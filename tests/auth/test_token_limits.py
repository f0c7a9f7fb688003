"""A token request has one deadline for the whole exchange and a cap on the answer's size.

Against small real loopback HTTP servers: one that sends its answer a byte at a time (each byte
well within the socket timeout, the whole far beyond it), and ones that send far more than a
token answer. Each server counts what it managed to send before the client hung up.
"""

from __future__ import annotations

import http.server
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from casefile.config import OAuth2Settings, settings_from_dict
from intake.auth.tokens import MAX_ANSWER_BYTES, TokenError, fetch_token

TOKEN_JSON = b'{"access_token": "tok-123", "token_type": "Bearer", "expires_in": 3600}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(TOKEN_JSON)).encode()
    + b"\r\nConnection: close\r\n\r\n"
    + TOKEN_JSON
)


@dataclass
class Sent:
    """What the server sent before it stopped (done: its handler has returned)."""

    bytes: int = 0
    done: threading.Event = field(default_factory=threading.Event)


@contextmanager
def _serve(
    send: Callable[[http.server.BaseHTTPRequestHandler, Sent], None],
) -> Iterator[tuple[str, Sent]]:
    sent = Sent()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                send(self, sent)
            except OSError:
                pass  # the client hung up: what was sent is counted
            finally:
                self.close_connection = True
                sent.done.set()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token", sent
    finally:
        server.shutdown()
        server.server_close()


def _write(handler: http.server.BaseHTTPRequestHandler, sent: Sent, data: bytes) -> None:
    handler.wfile.write(data)
    handler.wfile.flush()
    sent.bytes += len(data)


def _cfg(url: str, timeout: float = 1.0) -> OAuth2Settings:
    section = {
        "provider": "generic",
        "token_url": url,
        "client_id": "casefile",
        "client_secret_env": "PATH",
        "timeout_seconds": timeout,
    }
    return settings_from_dict({"oauth2": {"x": section}}).oauth2["x"]


@pytest.mark.parametrize("head_at_once", [False, True], ids=["drip-all", "drip-body"])
def test_a_server_that_drips_is_given_up_at_the_deadline(head_at_once: bool) -> None:
    """Given a server that sends its answer a byte every 0.1 s (each read well within the 1 s
    socket timeout; the whole answer about 20 s), when a token is fetched with
    timeout_seconds = 1, then it fails with one Swedish line naming the limit, and the server
    could not send its whole answer (the client hung up)."""

    def drip(handler: http.server.BaseHTTPRequestHandler, sent: Sent) -> None:
        head = ANSWER.split(b"\r\n\r\n", 1)[0]
        start = head + b"\r\n\r\n" if head_at_once else b""
        if start:
            _write(handler, sent, start)
        for i in range(len(start), len(ANSWER)):
            _write(handler, sent, ANSWER[i : i + 1])
            time.sleep(0.1)

    with _serve(drip) as (url, sent):
        with pytest.raises(TokenError) as caught:
            fetch_token("drip", _cfg(url), "")
        assert str(caught.value) == (
            f"oauth2 drip: tokenservern {url} svarade inte inom 1 s (timeout_seconds)"
        )
        assert caught.value.kind == "network"
        assert sent.done.wait(60)
        assert sent.bytes < len(ANSWER)


@pytest.mark.parametrize("declared", [False, True], ids=["until-close", "content-length"])
def test_an_oversized_answer_is_not_read_past_the_cap(declared: bool) -> None:
    """Given a server that streams 128 MB (of a declared 1.5 GB, or until it closes), when a
    token is fetched, then the client stops reading after MAX_ANSWER_BYTES: one Swedish line,
    and the server could send only a part (the cap and what loopback buffers hold: up to
    tcp_rmem's 32 MB here) before the client hung up; before, all of it was read."""
    total = 128 * 1024 * 1024

    def flood(handler: http.server.BaseHTTPRequestHandler, sent: Sent) -> None:
        length = b"Content-Length: 1500000000\r\n" if declared else b""
        _write(handler, sent, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + length)
        _write(handler, sent, b"Connection: close\r\n\r\n")
        chunk = b"a" * 65536
        while sent.bytes < total:
            _write(handler, sent, chunk)

    with _serve(flood) as (url, sent):
        with pytest.raises(TokenError) as caught:
            fetch_token("stor", _cfg(url, timeout=30), "")
        assert str(caught.value) == (
            f"oauth2 stor: tokenservern {url} svarade med mer än {MAX_ANSWER_BYTES // 1000} kB"
        )
        assert sent.done.wait(60)
        assert sent.bytes < total // 2


def test_an_answer_within_the_limits_still_gives_the_token() -> None:
    def answer(handler: http.server.BaseHTTPRequestHandler, sent: Sent) -> None:
        _write(handler, sent, ANSWER)

    with _serve(answer) as (url, _sent):
        assert fetch_token("ok", _cfg(url), "").value == "tok-123"


def test_a_token_command_that_prints_too_much_is_stopped(tmp_path: Path) -> None:
    """Given a token_command that prints 64 MB and then leaves a mark, when a token is fetched,
    then the command is stopped once it passed MAX_ANSWER_BYTES (no mark: it never finished)
    and one Swedish line says why."""
    script = tmp_path / "flood.py"
    mark = tmp_path / "finished"
    script.write_text(
        "import sys, pathlib\n"
        "for _ in range(1024):\n"
        "    sys.stdout.buffer.write(b'a' * 65536)\n"
        "    sys.stdout.buffer.flush()\n"
        f"pathlib.Path({str(mark)!r}).write_text('ja')\n"
    )
    settings = settings_from_dict(
        {"oauth2": {"x": {"provider": "generic", "token_command": f"{sys.executable} {script}"}}}
    ).oauth2["x"]
    with pytest.raises(TokenError) as caught:
        fetch_token("cmd", settings, "")
    assert (
        str(caught.value) == f"oauth2 cmd: token_command skrev mer än {MAX_ANSWER_BYTES // 1000} kB"
    )
    assert not mark.exists()
