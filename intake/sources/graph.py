"""Microsoft Graph mailbox source: app-only, keep-on-server, exactly once.

Listing is the folder's delta query; its `@odata.deltaLink` is kept in the register
(mailbox_state.sync_state) only after a pass has handled and marked everything it listed, so a
crash anywhere in a pass lists the same messages again and the register (known UIDs) stops a
second registration. A lost or expired delta token (410, SyncStateNotFound) starts a full
listing, which the register filters the same way. Requests carry `Prefer: IdType="ImmutableId"`,
so a message keeps its id when it is moved to processed_folder. Like a Maildir, a message's UID
is derived from its (immutable) id; nothing is ever deleted.

Up to four requests are in flight per mailbox (the messages' MIME is fetched ahead by a small
thread pool, in order); a 429 or 503 holds back every request of the mailbox for its
Retry-After. Connections are kept alive, one per thread.

One protocol, kept whole: Graph's delta listing, throttling (Retry-After) and the fetch-ahead
share one mailbox's session and state.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import http.client
import json
import select
import ssl
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from casefile.config import MailboxSettings, OAuth2Settings, Settings
from intake.auth.tokens import CACHE, TokenCache, TokenError
from intake.sources.base import Envelope, FetchedMessage, LoginRefused, SourceError
from intake.sources.maildir import uid_for_key

# A JSON page of a listing is a few hundred kB at most; more is no Graph answer.
MAX_JSON_BYTES = 4_000_000
# Throttling (429/503): at most this many waits per request, each at most MAX_WAIT_SECONDS.
THROTTLE_RETRIES = 5
MAX_WAIT_SECONDS = 60.0
# Graph allows four concurrent requests per mailbox (and app); more answer 429.
IN_FLIGHT = 4
IMMUTABLE = 'IdType="ImmutableId"'
WELL_KNOWN = frozenset(
    {"inbox", "archive", "drafts", "sentitems", "deleteditems", "junkemail", "outbox"}
)
PERMISSION_HINT = (
    "ge appen applikationsbehörigheten {permission} med administratörsmedgivande, och se till "
    "att en application access policy (New-ApplicationAccessPolicy) omfattar brevlådan {user}"
)


class GraphError(Exception):
    """Graph answered with an error: status, Graph's error code and its message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}".strip())
        self.status, self.code, self.message = status, code, message


class GraphUnreachable(Exception):
    """No answer: `sent` says whether the request had been sent in full (a sendMail then may
    have been delivered)."""

    def __init__(self, reason: str, sent: bool) -> None:
        super().__init__(reason)
        self.sent = sent


class TooLarge(GraphUnreachable):
    """The answer is larger than the caller's limit (its Content-Length, or limit + 1)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"svaret är större än gränsen ({size} byte)", sent=True)
        self.size = size


def retry_after(value: str | None, now: float, attempt: int) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), bounded; without
    one, exponential backoff (pure)."""
    wait = float(2**attempt)
    if value:
        value = value.strip()
        if value.isdigit():
            wait = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                wait = when.timestamp() - now
    return min(max(wait, 0.0), MAX_WAIT_SECONDS)


def _error(status: int, body: bytes) -> GraphError:
    try:
        data = json.loads(body or b"{}")
        err = data.get("error") or {}
        code, message = str(err.get("code") or ""), " ".join(str(err.get("message", "")).split())
    except (ValueError, AttributeError):
        code, message = "", ""
    return GraphError(status, code, message[:160])


@dataclass
class _Mailbox:
    """What the clients of one mailbox in this process share: at most IN_FLIGHT requests at a
    time, and the moment a throttled answer (429/503) said to come back; no request of any
    client of the mailbox goes out before it."""

    slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(IN_FLIGHT)
    )
    resume_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pause_until(self, when: float) -> None:
        with self.lock:
            self.resume_at = max(self.resume_at, when)


_MAILBOXES: dict[tuple[str, str], _Mailbox] = {}
_MAILBOXES_LOCK = threading.Lock()


def _mailbox(base: str, user: str) -> _Mailbox:
    with _MAILBOXES_LOCK:
        return _MAILBOXES.setdefault((base, user.lower()), _Mailbox())


class GraphClient:
    """Requests to Graph for one mailbox (`user`) with an app-only token: TLS verified,
    a timeout per request, a cap on every answer, throttling waits bounded and shared by every
    client of the mailbox, at most IN_FLIGHT requests in flight per mailbox (as Graph allows).
    Safe to use from several threads."""

    def __init__(
        self,
        base_url: str,
        user: str,
        credential: str,
        oauth2: OAuth2Settings,
        *,
        timeout: float = 60.0,
        ca_file: str | None = None,
        tokens: TokenCache = CACHE,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.user = user
        self._origin = urllib.parse.urlsplit(self.base)[:2]
        self._credential, self._oauth2 = credential, oauth2
        self._timeout, self._ca_file = timeout, ca_file
        self._tokens = tokens
        self.sleep = sleep
        self.waits: list[float] = []
        self._mailbox = _mailbox(self.base, user)
        self._local = threading.local()
        self._open: set[http.client.HTTPConnection] = set()
        self._open_lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"{self.base}/users/{urllib.parse.quote(self.user, safe='@')}/{path}"

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        limit: int = MAX_JSON_BYTES,
    ) -> bytes:
        """The answer's body (2xx), or GraphError/GraphUnreachable/TokenError."""
        if urllib.parse.urlsplit(url)[:2] != self._origin:
            # A nextLink elsewhere would get our token: refuse it.
            raise GraphUnreachable(f"länken pekar utanför {self.base}", sent=False)
        renewed = False
        attempt = 0
        sleep = self.sleep or _sleep
        while True:
            # Another request of this mailbox was throttled: wait as long as it was told to.
            left = self._mailbox.resume_at - _now()
            if left > 0:
                sleep(min(left, MAX_WAIT_SECONDS))
            token = self._tokens.token(self._credential, self._oauth2, self.user, renew=renewed)
            with self._mailbox.slots:
                status, headers, data = self._once(method, url, body, content_type, token, limit)
            del token
            if status in (429, 503) and attempt < THROTTLE_RETRIES:
                wait = retry_after(headers.get("retry-after"), _now(), attempt)
                self.waits.append(wait)
                self._mailbox.pause_until(_now() + wait)
                sleep(wait)
                attempt += 1
                continue
            if status == 401 and not renewed:
                renewed = True  # the token may have been revoked: one fresh one
                continue
            if status >= 400:
                raise _error(status, data)
            return data

    def _connection(
        self, parts: urllib.parse.SplitResult
    ) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's kept-alive connection to Graph (and whether it was used before), or a
        new one: a TLS handshake per request would cost more than most requests."""
        key = (parts.scheme, parts.hostname or "", parts.port)
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.key == key and not _dropped(conn):
            return conn, True
        if conn is not None:
            self._discard(conn)
        host, port = key[1], key[2]
        if parts.scheme == "https":
            context = _tls_context(self._ca_file)
            conn = http.client.HTTPSConnection(host, port, timeout=self._timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self._timeout)
        self._local.conn, self._local.key = conn, key
        with self._open_lock:
            self._open.add(conn)
        return conn, False

    def _discard(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._open_lock:
            self._open.discard(conn)
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None

    def close(self) -> None:
        """Close the kept-alive connections of every thread."""
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            conn.close()

    def _once(
        self, method: str, url: str, body: bytes | None, content_type: str, token: str, limit: int
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Authorization": f"Bearer {token}",
            "Prefer": IMMUTABLE,
            "Accept": "application/json",
        }
        if body is not None:
            headers["Content-Type"] = content_type
        while True:
            conn, reused = self._connection(parts)
            try:
                conn.request(method, target, body=body, headers=headers)
            except (OSError, http.client.HTTPException) as exc:
                self._discard(conn)
                if reused:
                    continue  # closed by the server while idle: the request did not get out
                raise GraphUnreachable(_short(exc), sent=False) from None
            try:
                response = conn.getresponse()
                length = (response.getheader("Content-Length") or "").strip()
                if length.isdigit() and int(length) > limit and response.status < 300:
                    self._discard(conn)
                    raise TooLarge(int(length))
                data = response.read(limit + 1)
            except (OSError, http.client.HTTPException) as exc:
                self._discard(conn)
                if reused and method == "GET" and isinstance(exc, http.client.RemoteDisconnected):
                    continue  # an idle connection closed under us: a GET may simply go again
                raise GraphUnreachable(_short(exc), sent=True) from None
            if len(data) > limit:
                self._discard(conn)
                raise TooLarge(len(data))
            if response.will_close or not response.isclosed():
                self._discard(conn)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def json(self, method: str, url: str, payload: Any = None) -> dict[str, Any]:
        body = None if payload is None else json.dumps(payload).encode()
        data = self.request(method, url, body=body)
        try:
            answer = json.loads(data or b"{}")
        except ValueError:
            raise GraphUnreachable("svaret var ingen JSON", sent=True) from None
        if not isinstance(answer, dict):
            raise GraphUnreachable("svaret var inget JSON-objekt", sent=True)
        return answer


def explain(where: str, user: str, exc: GraphError, permission: str) -> str:
    """Graph's refusal as one line saying what to do."""
    if exc.status in (401, 403):
        return f"{where}: Graph nekade åtkomst ({exc}): " + PERMISSION_HINT.format(
            permission=permission, user=user
        )
    return f"{where}: Graph svarade {exc}"


@dataclass(frozen=True)
class _Listed:
    id: str
    received: dt.datetime
    categories: tuple[str, ...] = ()


def _received(value: object) -> dt.datetime:
    text = str(value or "")
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.now(dt.UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _lost_delta(exc: GraphError) -> bool:
    return exc.status == 410 or exc.code.lower() in {"syncstatenotfound", "resyncrequired"}


class GraphSource:
    def __init__(
        self,
        settings: MailboxSettings,
        client: GraphClient,
        known_uids: Callable[[], set[int]],
        load_state: Callable[[], str | None],
        save_state: Callable[[str], None],
        max_bytes: int,
        checkpoint: Callable[[str], None] = lambda _: None,
    ) -> None:
        """`checkpoint` is called with a step's name after each step (the crash tests' fault
        points, casefile/faults.py, handed in by the poll)."""
        self.settings = settings
        self.checkpoint = checkpoint
        self.name = settings.name
        self.folder = settings.folder
        self.client = client
        self._known = known_uids
        self._load, self._save = load_state, save_state
        self._max_bytes = max_bytes
        self._listed: dict[int, _Listed] = {}
        self._delta_link: str | None = None
        self._processed_id: str | None = None
        # For tests and `intake check`: whether the last listing started afresh.
        self.full_listing = False

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        box: MailboxSettings,
        known_uids: Callable[[], set[int]],
        load_state: Callable[[], str | None],
        save_state: Callable[[str], None],
        checkpoint: Callable[[str], None] = lambda _: None,
    ) -> GraphSource:
        client = GraphClient(
            box.graph_url,
            box.username,
            box.oauth2,
            settings.oauth2[box.oauth2],
            timeout=box.timeout_seconds,
            ca_file=box.ca_file,
        )
        return cls(
            box,
            client,
            known_uids,
            load_state,
            save_state,
            settings.limits.max_message_bytes,
            checkpoint,
        )

    def _where(self) -> str:
        return f"brevlåda {self.name}"

    def _fail(self, exc: Exception, what: str) -> SourceError:
        where = self._where()
        if isinstance(exc, GraphError):
            if exc.status in (401, 403):
                return LoginRefused(
                    f"{where}: inloggningen nekades av Graph ({exc}): "
                    + PERMISSION_HINT.format(permission="Mail.ReadWrite", user=self.client.user)
                )
            return SourceError(f"{where}: Graph svarade {exc} ({what})")
        if isinstance(exc, TokenError):
            if exc.kind == "network":
                return SourceError(f"{where}: {exc}")
            return LoginRefused(f"{where}: inloggningen nekades: {exc}")
        return SourceError(f"{where}: kan inte nå {self.client.base} ({what}: {exc})")

    def folder_id(self, name: str, create: bool = False, ask: bool = False) -> str | None:
        """The folder's id (well-known names as they are, asked for only when `ask`), looked up
        by display name among the top-level folders; created when `create` and missing."""
        if name.lower() in WELL_KNOWN:
            if ask:
                url = self.client.url(f"mailFolders/{urllib.parse.quote(name)}")
                try:
                    return str(self.client.json("GET", url)["id"])
                except GraphError as exc:
                    if exc.status == 404:
                        return None
                    raise
            return name
        quoted = name.replace("'", "''")
        query = urllib.parse.quote(f"displayName eq '{quoted}'")
        found = self.client.json("GET", self.client.url(f"mailFolders?$filter={query}"))
        for item in found.get("value") or []:
            if isinstance(item, dict) and item.get("displayName") == name:
                return str(item["id"])
        if not create:
            return None
        made = self.client.json("POST", self.client.url("mailFolders"), {"displayName": name})
        return str(made["id"])

    def open(self) -> None:
        try:
            folder = self.folder_id(self.folder)
            if folder is None:
                raise SourceError(
                    f"{self._where()}: mappen {self.folder} finns inte i {self.client.user}; "
                    f"kontrollera mailboxes[{self.name}].folder"
                )
            self._list(folder)
        except (GraphError, GraphUnreachable, TokenError) as exc:
            raise self._fail(exc, "listningen") from None
        self.checkpoint("graph_listed")

    def _list(self, folder: str) -> None:
        start = self.client.url(
            f"mailFolders/{urllib.parse.quote(folder)}/messages/delta"
            "?$select=id,internetMessageId,receivedDateTime,categories"
        )
        saved = self._load()
        try:
            self._walk(saved or start)
            self.full_listing = not saved
        except GraphError as exc:
            if not (saved and _lost_delta(exc)):
                raise
            # The delta token is gone: list everything; the register knows what it has.
            self._listed = {}
            self._walk(start)
            self.full_listing = True

    def _walk(self, url: str) -> None:
        link: str | None = url
        while link:
            page = self.client.json("GET", link)
            for item in page.get("value") or []:
                if not isinstance(item, dict) or "@removed" in item or not item.get("id"):
                    continue
                msg_id = str(item["id"])
                categories = item.get("categories")
                self._listed[uid_for_key(msg_id)] = _Listed(
                    msg_id,
                    _received(item.get("receivedDateTime")),
                    tuple(str(c) for c in categories) if isinstance(categories, list) else (),
                )
            next_link = page.get("@odata.nextLink")
            if isinstance(next_link, str):
                link = next_link
                continue
            delta = page.get("@odata.deltaLink")
            self._delta_link = delta if isinstance(delta, str) else None
            link = None

    @property
    def uidvalidity(self) -> int:
        return 1

    def unchanged_since(self, last_uid: int) -> bool:
        return not (set(self._listed) - self._known())

    def envelopes(self, after_uid: int) -> list[Envelope]:
        known = self._known()
        out = [
            # Graph lists no size: the limit is kept when the body is fetched.
            Envelope(uid, 0, item.received)
            for uid, item in self._listed.items()
            if uid not in known
        ]
        return sorted(out, key=lambda e: (e.internal_date, e.uid))

    def _value(self, uid: int) -> bytes:
        item = self._listed[uid]
        url = self.client.url(f"messages/{urllib.parse.quote(item.id, safe='')}/$value")
        return self.client.request("GET", url, limit=self._max_bytes)

    def fetch(self, uids: Sequence[int]) -> Iterator[FetchedMessage]:
        """The messages in the order asked, their MIME fetched up to IN_FLIGHT at a time (so
        at most IN_FLIGHT + 1 messages are held in memory)."""
        ahead = iter(uids)
        pool = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="graph")
        pending: deque[tuple[int, Future[bytes]]] = deque()

        def submit() -> None:
            uid = next(ahead, None)
            if uid is not None:
                pending.append((uid, pool.submit(self._value, uid)))

        try:
            for _ in range(IN_FLIGHT):
                submit()
            while pending:
                uid, future = pending.popleft()
                received = self._listed[uid].received
                try:
                    raw = future.result()
                except TooLarge as exc:
                    # Recorded as failed by the poll (kept on the server, listed for staff).
                    submit()
                    yield FetchedMessage(uid, b"", received, too_big=exc.size)
                    continue
                except (GraphError, GraphUnreachable, TokenError) as exc:
                    raise self._fail(exc, "hämtningen") from None
                submit()
                self.checkpoint("graph_fetched")
                yield FetchedMessage(uid, raw, received)
        finally:
            # A pass that stops early (an error, a shutdown) waits for at most the requests
            # already in flight; nothing fetched and not handed on is lost: it is listed again.
            pool.shutdown(wait=True, cancel_futures=True)

    def mark_processed(self, uids: Sequence[int]) -> None:
        """Set processed_category (kept with the message's other categories), then move to
        processed_folder; a message no longer in the folder (moved by someone) is left alone."""
        folder = self.settings.processed_folder
        category = self.settings.processed_category
        if not uids or not (folder or category):
            return
        what = "flytten till " + folder if folder else "kategorin " + (category or "")
        try:
            if folder and self._processed_id is None:
                # Created when missing, as the IMAP source does.
                self._processed_id = self.folder_id(folder, create=True)
            for uid in uids:
                item = self._listed.get(uid)
                if item is None:
                    continue
                base = self.client.url(f"messages/{urllib.parse.quote(item.id, safe='')}")
                if category and category not in item.categories:
                    self.client.json("PATCH", base, {"categories": [*item.categories, category]})
                if folder:
                    self.client.json("POST", base + "/move", {"destinationId": self._processed_id})
                self.checkpoint("graph_moved")
        except (GraphError, GraphUnreachable, TokenError) as exc:
            raise self._fail(exc, what) from None

    def listing_done(self) -> None:
        """Everything listed is handled and marked: the next pass may start from here."""
        if self._delta_link:
            self._save(self._delta_link)

    def close(self) -> None:
        self._listed = {}
        self.client.close()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _now() -> float:
    return time.time()


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """One verifying context per CA file, shared: loading the system's CA store for every
    connection cost more than the request."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether a kept-alive connection was closed by the server (readable while idle: EOF)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _short(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]
