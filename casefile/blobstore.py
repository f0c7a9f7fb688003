"""The blob store: raw messages and attachments, content-addressed by sha256, written once.

A blob is written to a temporary file, fsynced, then renamed into place (casefile/atomic.py), so
a crash leaves either the whole file or none. Existing blobs are never rewritten.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from casefile.atomic import write_atomic


class ArchiveError(Exception):
    pass


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Archive:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ArchiveError(f"not a sha256 digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data, mode=0o440, prefix=".tmp-", suffix="")
        return digest

    def get(self, digest: str) -> bytes:
        data = self.path_for(digest).read_bytes()
        if sha256_hex(data) != digest:
            raise ArchiveError(f"archive blob {digest} is damaged")
        return data

    def has(self, digest: str) -> bool:
        return self.path_for(digest).exists()
