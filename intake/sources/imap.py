"""IMAP source (imapclient): TLS verified by default, timeouts, BODY.PEEK, never deletes.

New mail is found by the UID watermark, never by \\Seen, so people may read the mailbox in
webmail. An unchanged mailbox costs LOGIN + SELECT: UIDNEXT from SELECT says there is nothing new.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import imaplib
import json
import os
import socket
import ssl
from collections.abc import Iterator, Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from casefile.config import MailboxSettings, OAuth2Settings, Settings
from intake.auth import explain
from intake.auth.backoff import LoginBackoff, mailbox_key
from intake.auth.sasl import oauthbearer, xoauth2
from intake.auth.tokens import CACHE, TokenCache, TokenError
from intake.sources.base import Envelope, FetchedMessage, LoginRefused, SourceError

NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, IMAPClientError)


class ConfigProblem(SourceError):
    """Something in the configuration, not the network (e.g. a missing ca_file)."""


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ImapSource:
    def __init__(
        self,
        settings: MailboxSettings,
        password: str,
        *,
        oauth2: OAuth2Settings | None = None,
        backoff: LoginBackoff | None = None,
        tokens: TokenCache = CACHE,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.folder = settings.folder
        self._password = password
        self._oauth2 = oauth2
        self._backoff = backoff
        self._tokens = tokens
        self._client: IMAPClient | None = None
        self._select: dict[bytes, Any] = {}
        self._processed_ready = False
        # For `intake check` and IDLE: which SASL mechanism was used (None: password).
        self.mechanism: str | None = None

    @classmethod
    def for_settings(
        cls, settings: Settings, box: MailboxSettings, backoff: LoginBackoff | None = None
    ) -> ImapSource:
        """The source for `box`, with its password or its OAuth2 credential."""
        if box.auth == "oauth2":
            return cls(box, "", oauth2=settings.oauth2[box.oauth2], backoff=backoff)
        return cls(box, box.password(), backoff=backoff)

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise SourceError(f"brevlåda {self.name}: inte ansluten")
        return self._client

    def connect(self) -> IMAPClient:
        """A logged-in connection (TLS as configured), not yet in a folder.

        A refused login raises LoginRefused with one line saying what to check; while earlier
        refusals make the login wait (backoff.py), it raises at once without asking the server.
        """
        s = self.settings
        key = mailbox_key(self.name)
        if self._backoff is not None:
            waiting = self._backoff.waiting(key)
            if waiting:
                raise LoginRefused(f"brevlåda {self.name}: {waiting}")
        if s.security != "none" and s.ca_file and not os.path.isfile(s.ca_file):
            raise ConfigProblem(
                f"brevlåda {self.name}: ca_file {s.ca_file} finns inte "
                f"(mailboxes[{self.name}].ca_file)"
            )
        client: IMAPClient | None = None
        try:
            context = tls_context(s.ca_file) if s.security != "none" else None
            client = IMAPClient(
                s.host,
                port=s.port,
                ssl=s.security == "ssl",
                ssl_context=context,
                timeout=s.timeout_seconds,
            )
            client.normalise_times = False
            if s.security == "starttls":
                client.starttls(context)
            self._login(client)
        except LoginRefused as exc:
            _drop(client)
            if self._backoff is not None:
                self._backoff.failed(key, str(exc).removeprefix(f"brevlåda {self.name}: "))
            raise
        except NETWORK_ERRORS as exc:
            _drop(client)
            raise SourceError(
                explain.with_tls_hint(
                    f"brevlåda {self.name}: kan inte nå {s.host}:{s.port} ({_short(exc)})",
                    exc,
                    "IMAP",
                    f"mailboxes[{self.name}]",
                    s.host,
                    s.port,
                )
            ) from exc
        if self._backoff is not None:
            self._backoff.succeeded(key)
        return client

    def _login(self, client: IMAPClient) -> None:
        s = self.settings
        if self._oauth2 is not None:
            self._oauth_login(client, self._oauth2)
            return
        try:
            if self._password.isascii():
                client.login(s.username, self._password)
            else:
                # LOGIN cannot carry non-ASCII; AUTHENTICATE PLAIN sends UTF-8.
                client.plain_login(s.username, self._password)
        except LoginError as exc:
            caps = _capabilities(client)
            oauth_only = bool(caps & {b"AUTH=XOAUTH2", b"AUTH=OAUTHBEARER"}) and not (
                caps & {b"AUTH=PLAIN", b"AUTH=LOGIN"}
            )
            if explain.password_no_longer_accepted(str(exc), s.host, oauth_only):
                detail = explain.SWITCH
            else:
                detail = f"kontrollera användarnamn och {s.password_env or 'lösenord'}"
            raise LoginRefused(
                f"brevlåda {self.name}: inloggningen nekades ({_short(exc)}): {detail}"
            ) from None

    def _oauth_login(self, client: IMAPClient, cfg: OAuth2Settings) -> None:
        s = self.settings
        caps = _capabilities(client)
        if b"AUTH=XOAUTH2" in caps:
            mechanism = "XOAUTH2"
        elif b"AUTH=OAUTHBEARER" in caps:
            mechanism = "OAUTHBEARER"
        else:
            raise LoginRefused(
                f"brevlåda {self.name}: inloggningen nekades: {s.host} erbjuder varken "
                "XOAUTH2 eller OAUTHBEARER"
            )
        answers: list[bytes] = []
        # A refused token is fetched anew once (it may have been revoked), then we give up.
        for attempt in range(2):
            answers.clear()
            try:
                token = self._tokens.token(s.oauth2, cfg, s.username, renew=attempt > 0)
            except TokenError as exc:
                if exc.kind == "network":
                    raise SourceError(f"brevlåda {self.name}: {exc}") from None
                raise LoginRefused(f"brevlåda {self.name}: inloggningen nekades: {exc}") from None
            if mechanism == "XOAUTH2":
                initial = xoauth2(s.username, token)
            else:
                initial = oauthbearer(s.username, token, s.host, s.port)
            del token

            def respond(challenge: bytes, initial: bytes = initial) -> bytes:
                # First the credentials; after an error challenge, an empty line (RFC 7628).
                if answers or challenge:
                    answers.append(challenge)
                    return b""
                answers.append(b"")
                return initial

            try:
                client._imap.authenticate(mechanism, respond)
            except imaplib.IMAP4.abort:
                raise  # the connection broke: a network fault, not a refusal
            except imaplib.IMAP4.error:
                continue
            self.mechanism = mechanism
            return
        reason = _sasl_status(answers[-1] if answers else b"")
        raise LoginRefused(
            f"brevlåda {self.name}: inloggningen nekades{reason}: "
            + explain.token_refused("IMAP", s.username, cfg)
        )

    def open(self) -> None:
        s = self.settings
        client = self.connect()
        self._client = client
        readonly = not (s.processed_keyword or s.processed_folder)
        try:
            self._select = client.select_folder(s.folder, readonly=readonly)
        except NETWORK_ERRORS as exc:
            self.close()
            if isinstance(exc, IMAPClientError) and "select" in str(exc).lower():
                raise ConfigProblem(
                    f"brevlåda {self.name}: mappen {s.folder} finns inte eller kan inte öppnas "
                    f"({_short(exc)}); kontrollera mailboxes[{self.name}].folder"
                ) from exc
            raise SourceError(
                f"brevlåda {self.name}: kan inte nå {s.host}:{s.port} ({_short(exc)})"
            ) from exc

    @property
    def uidvalidity(self) -> int:
        return int(self._select[b"UIDVALIDITY"])

    def unchanged_since(self, last_uid: int) -> bool:
        uidnext = self._select.get(b"UIDNEXT")
        return uidnext is not None and int(uidnext) <= last_uid + 1

    def envelopes(self, after_uid: int) -> list[Envelope]:
        try:
            uids = [u for u in self.client.search(["UID", f"{after_uid + 1}:*"]) if u > after_uid]
            if not uids:
                return []
            data = self.client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
        except NETWORK_ERRORS as exc:
            raise SourceError(f"brevlåda {self.name}: hämtningen avbröts ({_short(exc)})") from exc
        return sorted(
            (
                Envelope(uid, int(item[b"RFC822.SIZE"]), _aware(item[b"INTERNALDATE"]))
                for uid, item in data.items()
            ),
            key=lambda e: e.uid,
        )

    def fetch(self, uids: Sequence[int]) -> Iterator[FetchedMessage]:
        batch = max(1, self.settings.batch_size)
        for start in range(0, len(uids), batch):
            chunk = list(uids[start : start + batch])
            try:
                data = self.client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
            except NETWORK_ERRORS as exc:
                raise SourceError(
                    f"brevlåda {self.name}: hämtningen avbröts ({_short(exc)})"
                ) from exc
            for uid in chunk:
                item = data.get(uid)
                if item is None:  # expunged by someone else meanwhile
                    continue
                yield FetchedMessage(uid, bytes(item[b"BODY[]"]), _aware(item[b"INTERNALDATE"]))

    def mark_processed(self, uids: Sequence[int]) -> None:
        if not uids:
            return
        s = self.settings
        try:
            if s.processed_keyword:
                self.client.add_flags(list(uids), [s.processed_keyword.encode()], silent=True)
            if s.processed_folder:
                self._ensure_processed_folder(s.processed_folder)
                if self.client.has_capability("MOVE"):
                    self.client.move(list(uids), s.processed_folder)
                else:
                    # Without MOVE a copy is all we do: we never delete or expunge.
                    self.client.copy(list(uids), s.processed_folder)
        except NETWORK_ERRORS as exc:
            raise SourceError(f"brevlåda {self.name}: kunde inte markera ({_short(exc)})") from exc

    def _ensure_processed_folder(self, folder: str) -> None:
        """Create processed_folder the first time it is needed, so a move never fails on it."""
        if self._processed_ready:
            return
        if not self.client.folder_exists(folder):
            self.client.create_folder(folder)
        self._processed_ready = True

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()


def _capabilities(client: IMAPClient) -> set[bytes]:
    try:
        return {bytes(c).upper() for c in client.capabilities()}
    except NETWORK_ERRORS:
        return set()


def _sasl_status(challenge: bytes) -> str:
    """The status from a SASL error challenge (base64 JSON), e.g. ' (401 invalid_token)'."""
    try:
        data = json.loads(base64.b64decode(challenge) if challenge[:1] != b"{" else challenge)
    except (ValueError, TypeError):
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data[k]) for k in ("status", "schemes") if data.get(k)][:1]
    return f" ({' '.join(parts)})" if parts else ""


def _drop(client: IMAPClient | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            client.shutdown()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
