"""Maildir source, for the demo and for offices whose MTA delivers to a folder.

A Maildir has no UIDs: a message's UID is derived from its unique file key (stable), the
UIDVALIDITY is fixed at 1, and its arrival time is the file's delivery time (mtime). Which
messages are new is decided by the register (known UIDs), not by a watermark; files are
never moved, renamed or deleted. Symbolic links are never followed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from casefile.config import MailboxSettings
from intake.sources.base import Envelope, FetchedMessage, SourceError

log = logging.getLogger(__name__)


def _read_no_follow(path: Path) -> tuple[bytes, float]:
    """The file's bytes and mtime; refuses a symbolic link put in its place since listing."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(), os.fstat(fh.fileno()).st_mtime


def uid_for_key(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big")


class MaildirSource:
    def __init__(self, settings: MailboxSettings, known_uids: Callable[[], set[int]]) -> None:
        self.settings = settings
        self.name = settings.name
        self.folder = settings.path
        self._known = known_uids
        self._files: dict[int, Path] = {}

    def open(self) -> None:
        root = Path(self.settings.path)
        if not (root / "new").is_dir() or not (root / "cur").is_dir():
            raise SourceError(f"brevlåda {self.name}: {root} är ingen Maildir (new/ och cur/)")
        self._files = {}
        for sub in ("new", "cur"):
            for path in (root / sub).iterdir():
                if path.name.startswith("."):
                    continue
                if path.is_symlink():
                    # A link could make intake read (and archive) any file the service may read.
                    log.warning(
                        "brevlåda %s: hoppar över den symboliska länken %s", self.name, path
                    )
                    continue
                if path.is_file():
                    key = path.name.split(":", 1)[0]
                    self._files[uid_for_key(key)] = path

    @property
    def uidvalidity(self) -> int:
        return 1

    def unchanged_since(self, last_uid: int) -> bool:
        return not (set(self._files) - self._known())

    def envelopes(self, after_uid: int) -> list[Envelope]:
        known = self._known()
        out = []
        for uid, path in self._files.items():
            if uid in known:
                continue
            stat = path.lstat()
            when = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
            out.append(Envelope(uid, stat.st_size, when))
        return sorted(out, key=lambda e: (e.internal_date, e.uid))

    def fetch(self, uids: Sequence[int]) -> Iterator[FetchedMessage]:
        for uid in uids:
            path = self._files[uid]
            try:
                raw, mtime = _read_no_follow(path)
            except OSError as exc:
                raise SourceError(f"brevlåda {self.name}: kan inte läsa {path.name}") from exc
            yield FetchedMessage(uid, raw, dt.datetime.fromtimestamp(mtime, dt.UTC))

    def mark_processed(self, uids: Sequence[int]) -> None:
        return None

    def close(self) -> None:
        self._files = {}
