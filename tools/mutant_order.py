"""pytest plugin for mutation runs (tools/mutate.py): run first the tests most likely to fail.

mutmut runs a mutant's tests with -x in set order, so a mutant one test kills may wait behind a
minute of Dovecot tests. This plugin orders them by how many mutants each test has killed so far
in this run, then by duration (mutmut's own stats), and appends each failing test to a kill log
beside the stats. Order only: every test still runs for a surviving mutant, so no verdict
changes, only the time to reach it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

KILLS = Path("mutmut-kills.log")  # in mutmut's working folder, mutants/
STATS = Path("mutmut-stats.json")
_NOT_A_MUTANT = {"", "fail", "stats", "list_all_tests", "mutant_generation"}


def _under_mutant() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST", "") not in _NOT_A_MUTANT


def _durations() -> dict[str, float]:
    try:
        data = json.loads(STATS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    durations = data.get("duration_by_test", {})
    return {str(k): float(v) for k, v in durations.items()}


def _kills() -> Counter[str]:
    try:
        return Counter(KILLS.read_text(encoding="utf-8").splitlines())
    except OSError:
        return Counter()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    if not _under_mutant():
        return
    kills, durations = _kills(), _durations()
    items.sort(key=lambda item: (-kills[item.nodeid], durations.get(item.nodeid, 1.0)))


def pytest_runtest_logreport(report: Any) -> None:
    if report.failed and _under_mutant():
        # One short line per write, with O_APPEND: the parallel children cannot interleave.
        with KILLS.open("a", encoding="utf-8") as out:
            out.write(report.nodeid + "\n")
