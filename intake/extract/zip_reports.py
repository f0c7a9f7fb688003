"""Zip attachments: the report files (DOCX, PDF, ODT, DOC, RTF) a zip archive holds, one level
deep.

A zip is opened only under the `[limits]` zip limits (entries, total expansion, compression
ratio), entries are read in small chunks with the expansion counted as it happens (declared
sizes can lie), and an archive inside the archive is named, never opened.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field

from intake.extract.model import ExtractionError, ExtractLimits
from intake.extract.preflight import media_type_for

# Each entry so named is still recognised by content (media_type_for) and examined like an
# attachment of its own: preflight's zip-bomb checks for an ODT, conversion in the worker.
REPORT_SUFFIXES = (".docx", ".pdf", ".odt", ".doc", ".rtf")
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".gz", ".tgz", ".tar")
_CHUNK = 1 << 16


@dataclass
class ZipContents:
    """The report entries read (name, bytes), in archive order, and the archives inside."""

    reports: list[tuple[str, bytes]] = field(default_factory=list)
    nested: list[tuple[str, bytes]] = field(default_factory=list)


def _names(data: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def is_archive(data: bytes) -> bool:
    """A zip archive that is not itself a document (DOCX and other Office or ODF packages
    carry [Content_Types].xml or mimetype)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    names = _names(data)
    return names is not None and not {"[Content_Types].xml", "mimetype"} & set(names)


def _too_much(filename: str, what: str) -> ExtractionError:
    return ExtractionError("zip_bomb", f"Zip-filen {filename} {what} (misstänkt zip-bomb).")


def open_reports(data: bytes, filename: str, limits: ExtractLimits) -> ZipContents:
    """The report entries (REPORT_SUFFIXES) of the zip archive `data`; raises ExtractionError
    when the archive breaks a limit, is encrypted or cannot be read."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExtractionError("corrupt", f"Zip-filen {filename} är skadad.") from exc
    out = ZipContents()
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > limits.max_zip_entries:
            raise _too_much(
                filename, f"har för många filer ({len(infos)}; gränsen är {limits.max_zip_entries})"
            )
        budget = limits.max_uncompressed_bytes
        for info in infos:
            name = posixpath.basename(info.filename.replace("\\", "/"))
            lower = name.lower()
            is_report = lower.endswith(REPORT_SUFFIXES)
            is_nested = lower.endswith(ARCHIVE_SUFFIXES)
            if not (is_report or is_nested) or name.startswith("."):
                continue  # other files (and macOS resource forks) stay in the zip, unread
            if info.flag_bits & 0x1:
                raise ExtractionError(
                    "encrypted", f"Zip-filen {filename} är lösenordsskyddad ({name})."
                )
            if info.file_size > budget:
                raise _too_much(filename, "packas upp till mer än gränsen")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > (1 << 20) and ratio > limits.max_compression_ratio:
                raise _too_much(filename, f"har en fil som är komprimerad {ratio:.0f} gånger")
            chunks: list[bytes] = []
            try:
                with zf.open(info) as fh:
                    while chunk := fh.read(_CHUNK):
                        budget -= len(chunk)
                        if budget < 0:
                            raise _too_much(filename, "packas upp till mer än gränsen")
                        chunks.append(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise ExtractionError("corrupt", f"Zip-filen {filename} är skadad.") from exc
            content = b"".join(chunks)
            if is_nested or is_archive(content):
                out.nested.append((name, content))
            elif media_type_for(content, name) is not None:
                out.reports.append((name, content))
    return out
