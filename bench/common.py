"""What every benchmark shares: a target decided as ok/MISSED, and interleaved timing.

A benchmark prints its figures and, for each target, one line ending in `ok` or `MISSED`;
`Targets.finish()` prints the tally and returns the exit status (1 when a target was missed),
so a script or CI step can act on it. Baselines are timed interleaved with the run they are
compared to, after a warm-up, so a cold cache or a busy neighbour hits both alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """One figure against its limit: `value <= limit`, or `value >= limit` when at_least."""

    name: str
    value: float
    limit: float
    at_least: bool = False
    unit: str = ""

    @property
    def ok(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def line(self) -> str:
        sign = ">=" if self.at_least else "<="
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"{self.name}: {self.value:.2f}{self.unit} "
            f"(target {sign} {self.limit:g}{self.unit}): {verdict}"
        )


@dataclass
class Targets:
    """The targets of one benchmark run, printed as they are decided."""

    checked: list[Target] = field(default_factory=list)

    def check(
        self, name: str, value: float, limit: float, *, at_least: bool = False, unit: str = ""
    ) -> Target:
        target = Target(name, value, limit, at_least, unit)
        self.checked.append(target)
        print(target.line(), flush=True)
        return target

    @property
    def missed(self) -> list[Target]:
        return [t for t in self.checked if not t.ok]

    def finish(self) -> int:
        """Print the tally; the exit status: 0 when every target was met, else 1."""
        if not self.checked:
            print("no target was checked: MISSED")
            return 1
        missed = self.missed
        print(
            f"targets: {len(self.checked) - len(missed)} ok, {len(missed)} MISSED"
            + (f" ({', '.join(t.name for t in missed)})" if missed else "")
        )
        return 1 if missed else 0


def interleaved(
    fns: list[Callable[[], object]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
    warmup: int = 1,
) -> list[list[float]]:
    """Seconds of each function per round, the functions taking turns in every round (after
    `warmup` untimed rounds), so that no side runs on a colder cache or a quieter machine."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = clock()
            fn()
            times[i].append(clock() - start)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)
