"""casefile/atomic.py, the one write-then-rename: the old file or the whole new one, never a
part, and no temporary file left behind whatever happens."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from casefile.atomic import replacing, write_atomic
from casefile.clock import iso, utc_iso


def test_write_atomic_replaces_whole_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new", mode=0o644)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    write_atomic(target, b"newer")  # mkstemp's own mode: the owner alone
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_or_rename_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")

    def crash() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), replacing(target, before_replace=crash) as tmp:
        tmp.write_bytes(b"whole but not in place")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_one_iso() -> None:
    when = dt.datetime(2026, 12, 7, 21, 15, 30, 123, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert iso(None) is None and iso(dt.date(2026, 12, 7)) == "2026-12-07"
    assert iso(when) == "2026-12-07T21:15:30.000123+01:00"
    assert utc_iso(when) == "2026-12-07T20:15:30+00:00"
    assert utc_iso(when.timestamp()) == "2026-12-07T20:15:30+00:00"
    assert utc_iso(None) is None
