"""Renamed casefile/blobstore.py (the content-addressed store of raw messages and attachments),
so that it is not taken for the e-archive package, casefile/export/archive.py. This name stays
for imports written before the rename; new code imports casefile.blobstore."""

from __future__ import annotations

from casefile.blobstore import Archive, ArchiveError, sha256_hex

__all__ = ["Archive", "ArchiveError", "sha256_hex"]
