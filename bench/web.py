"""Web benchmark: response times of `casefile web` on a register of 100,000 documents.

Prints, measured in this run, on SQLite and PostgreSQL: the median and 95th percentile of
- the document list (/dokument, newest 50 with the total),
- a case page (/arende/SFG 25-42: its documents, history and due date),
- a search (/dokument?q=Ovanåker, the full-text index),
- the last list page (/dokument?sida=2000, an OFFSET of 99,950),
against the wall time of `casefile list --json` on the same register, in the same run.
The pages are asked through Starlette's TestClient in this process (the application's own
time, no network), as the registrar behind the proxy. PostgreSQL is vacuumed after the fill,
as autovacuum would have done on a live register. Target: p95 of each page at most 300 ms,
printed as ok or MISSED; the exit status is 1 when one is missed.

Usage: python bench/web.py [--docs 100000] [--rounds 40] [--no-postgres]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Targets, interleaved, median
from bench.register import fill, load, run_quietly
from casefile.app import App
from casefile.config import Settings, settings_from_dict
from casefile.db.migrate import upgrade
from tests.support.postgres import create_database, drop_database

PAGES = {
    "list": "/dokument",
    "case": "/arende/SFG%2025-42",
    "search": "/dokument?q=Ovan%C3%A5ker",
    "last page": "/dokument?sida=2000",
}
USER = "anna@forbund.test"


def settings_for(url: str, root: Path) -> Settings:
    return settings_from_dict(
        {
            "database": {"url": url},
            "storage": {"path": str(root / "archive")},
            "web": {"users": {USER: {"initials": "AKH", "role": "registrator"}}},
        }
    )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def measure(app: App, url: str, root: Path, label: str, rounds: int, verdicts: Targets) -> None:
    from starlette.testclient import TestClient

    from casefile.web.app import create_app

    client = TestClient(create_app(app), base_url="https://testserver", client=("127.0.0.1", 50000))
    client.headers["X-Remote-User"] = USER
    client.__enter__()

    def page(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    try:
        fns: list[Callable[[], object]] = [functools.partial(page, path) for path in PAGES.values()]
        times = interleaved(fns, rounds=rounds)
    finally:
        client.__exit__(None, None, None)
    config = root / f"{label}.toml"
    config.write_text(f'[database]\nurl = "{url}"\n[storage]\npath = "{root / "archive"}"\n')
    exe = Path(sys.executable).parent
    cli = [str(exe / "casefile"), "--config", str(config), "list", "--json"]
    (cli_times,) = interleaved([lambda: run_quietly(cli)], rounds=5)
    base = median(cli_times)
    print(f"{label}: web pages on {rounds} rounds (load average {load()})")
    print(f"  casefile list --json         median {base * 1000:6.0f} ms  (new process each)")
    for (name, _path), runs in zip(PAGES.items(), times, strict=True):
        mid, high = median(runs), p95(runs)
        print(
            f"  {name:<12} median {mid * 1000:6.1f} ms  p95 {high * 1000:6.1f} ms  "
            f"({mid / base:.2f}x casefile list --json)"
        )
        verdicts.check(f"{label}: {name} p95", high * 1000, 300, unit=" ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    verdicts = Targets()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        targets: list[tuple[str, str, str | None]] = [
            ("sqlite", f"sqlite:///{root / 'web.db'}", None)
        ]
        if not args.no_postgres:
            name, url = create_database("casefile_bench")
            targets.append(("postgresql", url, name))
        try:
            for label, url, _ in targets:
                app = App(settings_for(url, root))
                upgrade(app.engine)
                start = time.perf_counter()
                fill(app, args.docs)
                took = time.perf_counter() - start
                print(f"{label}: filled {args.docs:,} documents in {took:.1f} s")
                if label == "postgresql":
                    # What autovacuum does to a live register after 100,000 inserts: the
                    # statistics and the visibility map (index-only scans for the list's pages).
                    with app.engine.connect() as conn:
                        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                            "VACUUM ANALYZE"
                        )
                measure(app, url, root, label, args.rounds, verdicts)
                app.engine.dispose()
        finally:
            for _, _, db_name in targets:
                if db_name:
                    drop_database(db_name)
    return verdicts.finish()


if __name__ == "__main__":
    sys.exit(main())
