"""IMAP source (imapclient): TLS verified by default, timeouts, BODY.PEEK, never deletes.

New mail is found by the UID watermark, never by \\Seen, so people may read the mailbox in
webmail. An unchanged mailbox costs LOGIN + SELECT: UIDNEXT from SELECT says there is nothing new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
from collections.abc import Iterator, Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from casefile.config import MailboxSettings
from intake.sources.base import Envelope, FetchedMessage, SourceError

NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, IMAPClientError)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ImapSource:
    def __init__(self, settings: MailboxSettings, password: str) -> None:
        self.settings = settings
        self.name = settings.name
        self.folder = settings.folder
        self._password = password
        self._client: IMAPClient | None = None
        self._select: dict[bytes, Any] = {}

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise SourceError(f"brevlåda {self.name}: inte ansluten")
        return self._client

    def open(self) -> None:
        s = self.settings
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
            if self._password.isascii():
                client.login(s.username, self._password)
            else:
                # LOGIN cannot carry non-ASCII; AUTHENTICATE PLAIN sends UTF-8.
                client.plain_login(s.username, self._password)
            self._client = client
            readonly = not (s.processed_keyword or s.processed_folder)
            self._select = client.select_folder(s.folder, readonly=readonly)
        except LoginError as exc:
            self.close()
            raise SourceError(
                f"brevlåda {self.name}: inloggningen nekades ({_short(exc)})"
            ) from exc
        except NETWORK_ERRORS as exc:
            self.close()
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
                if self.client.has_capability("MOVE"):
                    self.client.move(list(uids), s.processed_folder)
                else:
                    # Without MOVE a copy is all we do: we never delete or expunge.
                    self.client.copy(list(uids), s.processed_folder)
        except NETWORK_ERRORS as exc:
            raise SourceError(f"brevlåda {self.name}: kunde inte markera ({_short(exc)})") from exc

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
