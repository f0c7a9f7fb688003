"""What every mail source offers the poller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from casefile.errors import UserError


class SourceError(UserError):
    """The mailbox cannot be reached or read; the message is one line naming the mailbox."""


class LoginRefused(SourceError):
    """The server refused the credentials: retrying will not help until someone fixes them."""


@dataclass(frozen=True)
class Envelope:
    """What is known of a message before its body is fetched."""

    uid: int
    size: int
    internal_date: dt.datetime


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    raw: bytes
    internal_date: dt.datetime  # aware: when the server received the message
    # Graph lists no sizes: a body found over the limit while fetching comes with raw=b"" and
    # its size here, to be recorded as failed like one the listing showed too big.
    too_big: int = 0


class MailSource(Protocol):
    name: str
    folder: str

    def open(self) -> None: ...

    @property
    def uidvalidity(self) -> int: ...

    def unchanged_since(self, last_uid: int) -> bool:
        """True when the server says there is nothing above last_uid (no extra round trip)."""
        ...

    def envelopes(self, after_uid: int) -> list[Envelope]: ...

    def fetch(self, uids: Sequence[int]) -> Iterator[FetchedMessage]: ...

    def mark_processed(self, uids: Sequence[int]) -> None: ...

    def close(self) -> None: ...
