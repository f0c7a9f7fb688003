"""A loopback Microsoft Graph for the tests: the standard library's HTTP server over TLS with
the tests' CA (tests/outgoing/certs, a certificate for 127.0.0.1), or plain http on 127.0.0.1,
which the configuration allows for loopback only.

Honest to the documented behaviour the source relies on: mail folders by display name (and
well-known names), the folder's delta query with paging (`@odata.nextLink`) ending in an
`@odata.deltaLink`, moved messages reported as `@removed`, 410 SyncStateNotFound for an expired
delta token, raw MIME at `$value`, `move` that gives a new id unless the request carries
`Prefer: IdType="ImmutableId"`, categories set by PATCH, 401 for a bad token, 403
ErrorAccessDenied for a mailbox outside the app's scope, queued 429/503 answers with
Retry-After, and `sendMail` that records the MIME.
It counts the requests it is answering at once (`max_in_flight`), for the concurrency tests.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from casefile.config import GRAPH_SCOPE
from tests.support.oauth2 import SCOPE, TokenStub
from tests.support.smtp import CA_FILE, server_tls_context

USER = "kontakt@finsam.test"
CLIENT_ID = "graph-app"
SECRET_ENV = "CASEFILE_TEST_GRAPH_SECRET"


class GraphTokenStub(TokenStub):
    """The stub's Microsoft endpoint, taking the Graph scope as it takes Exchange's; its tokens
    carry the application roles in `graph_roles` (Graph's `roles` claim)."""

    graph_roles: tuple[str, ...] = ("Mail.ReadWrite", "Mail.Send")

    def mint(self, email: str, lifetime: int | None = None) -> str:
        token = super().mint(email, lifetime)
        claims = jwt.decode(token, self.key, algorithms=["HS256"], options={"verify_aud": False})
        claims["roles"] = list(self.graph_roles)
        again = jwt.encode(claims, self.key, algorithm="HS256")
        with self.lock:
            self.issued.append(again)
        return again

    def _microsoft(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("scope") == GRAPH_SCOPE:
            form = {**form, "scope": SCOPE}
        return super()._microsoft(form)


@dataclass
class Message:
    id: str
    raw: bytes
    received: str  # ISO 8601, UTC ("2026-02-03T09:00:00Z")
    folder: str
    seq: int  # the change counter when it last changed (entered or left a folder, updated)
    categories: list[str] = field(default_factory=list)


@dataclass
class GraphStub:
    validate: Callable[[str], str | None]  # token -> the mailbox it is good for, or None
    user: str = "kontakt@finsam.test"
    page_size: int = 2
    folders: dict[str, str] = field(default_factory=lambda: {"inbox": "Inbox"})
    messages: dict[str, Message] = field(default_factory=dict)
    expired_tokens: set[int] = field(default_factory=set)
    throttle: list[tuple[int, str | None]] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # time.time() of each in `sent`
    # The tenant's other users (GET /users answers them when `users_readable`, the app's
    # User.Read.All) and those of their mailboxes the app may read too (no access policy).
    directory: list[str] = field(default_factory=list)
    users_readable: bool = False
    open_mailboxes: set[str] = field(default_factory=set)
    fail_moves: bool = False  # a move answers 500: the pass stops between commit and move
    # sendMail takes the message, then answers only when `release` is set (a lost answer).
    stall_send: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # When each request arrived (time.monotonic()), in the order of `requests`.
    arrived: list[float] = field(default_factory=list)
    # Throttle only requests whose path contains this (e.g. "$value"); "" throttles any.
    throttle_match: str = ""
    # Seconds a $value answer takes (the server's work on a large message).
    value_delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    seq: int = 0
    tls: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    flight: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1.0"

    def deliver(self, raw: bytes, received: str) -> str:
        with self.lock:
            self.seq += 1
            msg_id = "AAMk" + secrets.token_hex(12)
            self.messages[msg_id] = Message(msg_id, raw, received, "inbox", self.seq)
            return msg_id

    def in_folder(self, name: str) -> list[Message]:
        ids = [k for k, v in self.folders.items() if v == name]
        return [m for m in self.messages.values() if ids and m.folder == ids[0]]

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept alive, as Graph does
            # Headers and body go out as two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer on a kept-alive connection for 40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_PATCH(self) -> None:
                self._answer("PATCH")

            def _answer(self, method: str) -> None:
                with stub.flight:
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    self._reply(method)
                finally:
                    with stub.flight:
                        stub.in_flight -= 1

            def _reply(self, method: str) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, headers, data = stub.answer(method, self.path, dict(self.headers), body)
                if stub.stall_send and self.path.endswith("/sendMail"):
                    stub.release.wait(30)
                if stub.value_delay and status == 200 and self.path.endswith("/$value"):
                    time.sleep(stub.value_delay)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up waiting (a lost answer, on purpose)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls:
            self._server.socket = server_tls_context().wrap_socket(
                self._server.socket, server_side=True
            )
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the endpoints -------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append((method, target))
            self.arrived.append(time.monotonic())
            if self.throttle and self.throttle_match in target:
                status, after = self.throttle.pop(0)
                extra = {"Retry-After": after} if after is not None else {}
                return _error(status, "TooManyRequests", "throttled", extra)
            auth = headers.get("Authorization", "")
            granted = self.validate(auth.removeprefix("Bearer ")) if auth else None
            if granted is None:
                return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
            parts = urllib.parse.urlsplit(target)
            path = urllib.parse.unquote(parts.path).split("/")
            query = dict(urllib.parse.parse_qsl(parts.query))
            if path == ["", "v1.0", "users"] and method == "GET":
                if not self.users_readable:
                    return _error(403, "Authorization_RequestDenied", "Insufficient privileges.")
                users = [self.user, *self.directory]
                return _json({"value": [{"mail": u, "userPrincipalName": u} for u in users]})
            if path[:3] != ["", "v1.0", "users"] or len(path) < 5:
                return _error(404, "ResourceNotFound", "no such resource")
            if path[3] in self.open_mailboxes and path[4:] == ["mailFolders", "inbox"]:
                return _json({"id": "AAMkIother", "displayName": "Inbox"})
            if path[3] != self.user or granted != self.user:
                return _error(403, "ErrorAccessDenied", "Access is denied.")
            immutable = 'IdType="ImmutableId"' in headers.get("Prefer", "")
            return self._route(method, path[4:], query, body, immutable)

    def _route(
        self, method: str, rest: list[str], query: dict[str, str], body: bytes, immutable: bool
    ) -> tuple[int, dict[str, str], bytes]:
        if rest == ["mailFolders"] and method == "GET":
            wanted = query.get("$filter", "").removeprefix("displayName eq '").removesuffix("'")
            found = [{"id": k, "displayName": v} for k, v in self.folders.items() if v == wanted]
            return _json({"value": found})
        if len(rest) == 2 and rest[0] == "mailFolders" and method == "GET":
            key = rest[1].lower() if rest[1].lower() in self.folders else rest[1]
            if key not in self.folders:
                return _error(404, "ErrorItemNotFound", "folder not found")
            return _json({"id": "AAMkI" + key, "displayName": self.folders[key]})
        if rest == ["mailFolders"] and method == "POST":
            name = json.loads(body)["displayName"]
            folder_id = "AAMkF" + secrets.token_hex(6)
            self.folders[folder_id] = name
            return _json({"id": folder_id, "displayName": name}, 201)
        if len(rest) == 4 and rest[0] == "mailFolders" and rest[2:] == ["messages", "delta"]:
            folder = rest[1].lower() if rest[1].lower() in self.folders else rest[1]
            if folder not in self.folders:
                return _error(404, "ErrorItemNotFound", "folder not found")
            return self._delta(folder, query)
        if len(rest) == 3 and rest[0] == "messages" and rest[2] == "$value":
            msg = self.messages.get(rest[1])
            if msg is None:
                return _error(404, "ErrorItemNotFound", "not found")
            return 200, {"Content-Type": "text/plain"}, msg.raw
        if len(rest) == 2 and rest[0] == "messages" and method == "PATCH":
            msg = self.messages.get(rest[1])
            if msg is None:
                return _error(404, "ErrorItemNotFound", "not found")
            msg.categories = [str(c) for c in json.loads(body).get("categories", [])]
            self.seq += 1
            msg.seq = self.seq  # an update shows in the next delta round
            return _json({"id": msg.id, "categories": msg.categories})
        if len(rest) == 3 and rest[0] == "messages" and rest[2] == "move" and method == "POST":
            if self.fail_moves:
                return _error(500, "ErrorInternalServerError", "move failed")
            msg = self.messages.pop(rest[1], None)
            target = json.loads(body)["destinationId"]
            if msg is None or target not in self.folders:
                return _error(404, "ErrorItemNotFound", "not found")
            self.seq += 1
            msg.folder, msg.seq = target, self.seq
            if not immutable:  # a move changes a non-immutable id
                msg.id = "AAMk" + secrets.token_hex(12)
            self.messages[msg.id] = msg
            return _json({"id": msg.id}, 201)
        if rest == ["sendMail"] and method == "POST":
            self.sent.append(base64.b64decode(body))
            self.sent_at.append(time.time())
            return 202, {}, b""
        return _error(404, "ResourceNotFound", "no such resource")

    def _delta(self, folder: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if "$skiptoken" in query:
            since, offset = (int(x) for x in query["$skiptoken"].split("."))
        else:
            since, offset = int(query.get("$deltatoken", "0")), 0
        if since in self.expired_tokens:
            return _error(410, "SyncStateNotFound", "The sync state is not found.")
        changes = sorted((m for m in self.messages.values() if m.seq > since), key=lambda m: m.seq)
        items: list[dict[str, Any]] = []
        for m in changes:
            if m.folder == folder:
                items.append(
                    {
                        "id": m.id,
                        "internetMessageId": "<x>",
                        "receivedDateTime": m.received,
                        "categories": m.categories,
                    }
                )
            elif since:  # left the folder since the token
                items.append({"id": m.id, "@removed": {"reason": "deleted"}})
        page = items[offset : offset + self.page_size]
        base = f"{self.url}/users/{self.user}/mailFolders/{folder}/messages/delta"
        answer: dict[str, Any] = {"value": page}
        if offset + self.page_size < len(items):
            answer["@odata.nextLink"] = f"{base}?$skiptoken={since}.{offset + self.page_size}"
        else:
            answer["@odata.deltaLink"] = f"{base}?$deltatoken={self.seq}"
        return _json(answer)


def _json(data: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, data


def graph_sections(tokens: TokenStub, graph: GraphStub) -> dict[str, Any]:
    return {
        "oauth2": {
            "graph": {
                "provider": "microsoft",
                "tenant": tokens.tenant,
                "token_url": tokens.microsoft_url,
                "client_id": CLIENT_ID,
                "client_secret_env": SECRET_ENV,
                "scope": GRAPH_SCOPE,
            }
        }
    }


def graph_box(graph: GraphStub, **extra: object) -> dict[str, object]:
    return {
        "name": "kontakt",
        "type": "graph",
        "oauth2": "graph",
        "username": USER,
        "folder": "Inbox",
        "processed_folder": "Diarieförda",
        "graph_url": graph.url,
        "ca_file": str(CA_FILE),
        **extra,
    }
