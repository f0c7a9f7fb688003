"""Writing a file so that a reader, or a crash at any moment, sees the old file or the whole new
one, never a part: write under a temporary name in the same folder (so the same file system),
fsync it, then put it in place with one rename (os.replace) and fsync the folder.

The one way every state file, archived blob, .eml file and export is written. Standard library
only, so that any module of either package may use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """A name next to `path` (same folder, so same file system) for writing it before it is put
    in place; the process id keeps two writers of the same name apart."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def put_in_place(tmp: Path, path: Path, before_replace: Callable[[], None] | None = None) -> None:
    """Put a fully written `tmp` (a file or a folder) in place as `path`: fsync the file, run
    `before_replace`, rename, fsync the folder."""
    if tmp.is_file():
        _fsync_path(tmp)
    if before_replace is not None:
        before_replace()
    os.replace(tmp, path)
    _fsync_path(path.parent)


@contextmanager
def replacing(path: Path, *, before_replace: Callable[[], None] | None = None) -> Iterator[Path]:
    """Yield a temporary name next to `path` for a writer that wants a file name (openpyxl, a
    CSV writer); when the block ends without an error, the file written there is fsynced and
    renamed to `path`. The temporary file is removed in every case. `before_replace` runs just
    before the rename (the crash tests' checkpoint)."""
    tmp = temporary_sibling(path)
    try:
        yield tmp
        put_in_place(tmp, path, before_replace)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    prefix: str | None = None,
    suffix: str = ".tmp",
) -> None:
    """Write `data` to `path` through a temporary file made with mkstemp in the
    same folder (named `prefix`…`suffix`; prefix by default ".<name>."), fsynced, then renamed.
    The file gets `mode` (else mkstemp's 0600). On any error the temporary file is removed and
    the error raised; `path` is then unchanged."""
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}." if prefix is None else prefix, suffix=suffix, dir=path.parent
    )
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        put_in_place(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
