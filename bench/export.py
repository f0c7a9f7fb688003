"""Export benchmark: `casefile export diary` and `casefile export archive` for a year of documents.

Fills a register (SQLite, or PostgreSQL with --postgres) with a year of documents, each with its
raw message and a DOCX attachment in the archive store, every case closed; then runs the real
commands as child processes and prints wall time and peak memory (max RSS of the child) of:
- `python -c pass` (the interpreter's start-up: the baseline for both);
- `casefile export diary` as CSV and as XLSX;
- a bare zip of the same store blobs with zipfile (the baseline for the archive's copying);
- `casefile export archive --closed-before … --output year.zip`, and into a folder.

Usage: python bench/export.py [--docs 2000] [--per-case 10] [--postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from casefile.app import App
from casefile.blobstore import Archive
from casefile.config import settings_from_dict
from casefile.db.migrate import upgrade
from casefile.db.schema import (
    attachments,
    cases,
    counters,
    documents,
    events,
    messages,
    stored_files,
)
from tests.support.mail import REPORTS, message
from tests.support.postgres import create_database, drop_database

DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def fill(app: App, docs: int, per_case: int) -> list[str]:
    """A year (2026) of documents; returns the digests of every stored blob."""
    store = Archive(app.settings.storage.path)
    n_cases = (docs + per_case - 1) // per_case
    digests: list[str] = []
    with app.engine.begin() as conn:
        conn.execute(
            sa.insert(cases),
            [
                {
                    "id": c + 1,
                    "number": f"SFG 26-{c + 1:02d}",
                    "year": 2026,
                    "serial": c + 1,
                    "title": f"Insats {c + 1}",
                    "organisation": "Exempelby kommun",
                    "status": "closed",
                    "opened_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
                    "closed_at": dt.datetime(2026, 12, 30, tzinfo=dt.UTC),
                    "close_reason": "Slutrapporten godkänd",
                }
                for c in range(n_cases)
            ],
        )
        conn.execute(sa.insert(counters), [{"name": "case:2026", "value": n_cases}])
        for d in range(docs):
            case, serial = d // per_case + 1, d % per_case + 1
            received = dt.datetime(2026, 1, 2, 8, tzinfo=dt.UTC) + dt.timedelta(
                minutes=(360 * 24 * 60 // docs) * d
            )
            # Unique bytes per message and attachment, as real mail is.
            attachment = DOCX + d.to_bytes(4, "big")
            raw = bytes(
                message(
                    subject=f"Slutrapport Insats {case}",
                    body=f"Rapport nummer {d}.",
                    attachments=[("slutrapport.docx", attachment)],
                    date=received,
                )
            )
            raw_sha, att_sha = store.put(raw), store.put(attachment)
            digests += [raw_sha, att_sha]
            conn.execute(
                sa.insert(stored_files),
                [
                    {"sha256": raw_sha, "size": len(raw), "media_type": "message/rfc822"},
                    {"sha256": att_sha, "size": len(attachment), "media_type": MIME},
                ],
            )
            msg_id = conn.execute(
                sa.insert(messages).returning(messages.c.id),
                {
                    "mailbox": "kontakt",
                    "folder": "INBOX",
                    "uidvalidity": 1,
                    "uid": d + 1,
                    "raw_sha256": raw_sha,
                    "size": len(raw),
                    "internal_date": received,
                    "sender": "anna.berg@bollnas.test",
                    "subject": f"Slutrapport Insats {case}",
                    "state": "registered",
                },
            ).scalar_one()
            doc_id = conn.execute(
                sa.insert(documents).returning(documents.c.id),
                {
                    "diarienummer": f"SFG 26-{case:02d}.{serial:02d}",
                    "case_id": case,
                    "serial": serial,
                    "kind": "slutrapport",
                    "direction": "in",
                    "received_at": received,
                    "received_date": received.date(),
                    "registered_at": received,
                    "sender": "anna.berg@bollnas.test",
                    "subject": f"Slutrapport Insats {case}",
                    "title": f"Insats {case}",
                    "organisation": "Exempelby kommun",
                    "fields": {"granted_sek": 1000000, "spent_sek": 900000},
                    "sections": {},
                    "findings": [],
                    "submitter_signed": True,
                    "status": "registered",
                    "cancelled": False,
                    "source_message_id": msg_id,
                },
            ).scalar_one()
            conn.execute(
                sa.insert(attachments),
                {
                    "source_message_id": msg_id,
                    "sha256": att_sha,
                    "filename": "slutrapport.docx",
                    "media_type": MIME,
                    "size": len(attachment),
                    "state": "registered",
                    "document_id": doc_id,
                },
            )
            conn.execute(
                sa.insert(events),
                {
                    "at": received,
                    "actor": "casefile",
                    "action": "document_registered",
                    "case_id": case,
                    "document_id": doc_id,
                    "source_message_id": msg_id,
                    "detail": {"diarienummer": f"SFG 26-{case:02d}.{serial:02d}"},
                },
            )
    return digests


# The child is started from a bare interpreter: a child forked from this process would count
# this process's memory (the register, the ORM) in its peak RSS until it execs.
LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, wall, u.ru_utime + u.ru_stime, u.ru_maxrss)
"""


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one command."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *cmd], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"failed ({out[0]}): {' '.join(cmd)}")
    return float(out[1]), float(out[2]), int(out[3]) / 1024  # Linux reports kB


BARE_ZIP = """
import sys, zipfile
from casefile.blobstore import Archive
store, out, names = Archive(sys.argv[1]), sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for d in open(names[0]).read().split():
        with open(store.path_for(d), "rb") as src, z.open(d, "w") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--per-case", type=int, default=10)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        name = None
        if args.postgres:
            name, url = create_database("casefile_bench")
        else:
            url = f"sqlite:///{root / 'reg.db'}"
        try:
            settings = settings_from_dict(
                {"database": {"url": url}, "storage": {"path": str(root / "archive")}}
            )
            app = App(settings)
            upgrade(app.engine)
            start = time.perf_counter()
            digests = fill(app, args.docs, args.per_case)
            app.engine.dispose()
            size = sum(Archive(root / "archive").path_for(d).stat().st_size for d in digests)
            print(
                f"{'postgresql' if args.postgres else 'sqlite'}: filled {args.docs:,} documents "
                f"({size / 1e6:.0f} MB in the store) in {time.perf_counter() - start:.1f} s"
            )
            config = root / "bench.toml"
            config.write_text(
                f'[database]\nurl = "{url}"\n[storage]\npath = "{root / "archive"}"\n'
            )
            exe = str(Path(sys.executable).parent / "casefile")
            base = [exe, "--config", str(config), "export"]
            (root / "digests.txt").write_text("\n".join(digests))
            rows = [
                ("python -c pass", [sys.executable, "-c", "pass"]),
                ("export diary (csv)", [*base, "diary", "--from", "2026-01-01",
                                        "--to", "2026-12-31", "--output", str(root / "d.csv")]),
                ("export diary (xlsx)", [*base, "diary", "--from", "2026-01-01",
                                         "--to", "2026-12-31", "--format", "xlsx",
                                         "--output", str(root / "d.xlsx")]),
                ("bare zip of the blobs", [sys.executable, "-c", BARE_ZIP, str(root / "archive"),
                                           str(root / "bare.zip"), str(root / "digests.txt")]),
                ("export archive (zip)", [*base, "archive", "--closed-before", "2027-01-01",
                                          "--output", str(root / "year.zip")]),
                ("export archive (folder)", [*base, "archive", "--closed-before", "2027-01-01",
                                             "--output", str(root / "year")]),
            ]  # fmt: skip
            figures: dict[str, tuple[float, float, float]] = {}
            for label, cmd in rows:
                figures[label] = measure(cmd)
            py_cpu = figures["python -c pass"][1]
            bare_cpu = figures["bare zip of the blobs"][1]
            # CPU time for the ratios: on a shared machine wall time swings with other load.
            print(f"  {'':<26} {'wall':>7}    {'cpu':>6}    {'peak RSS':>8}")
            for label, (wall, cpu, rss) in figures.items():
                ratio = f"{cpu / py_cpu:5.0f}x start-up"
                if label.startswith("export archive"):
                    ratio += f", {cpu / bare_cpu:.1f}x bare zip"
                print(f"  {label:<26} {wall:6.2f} s  {cpu:6.2f} s  {rss:6.0f} MB  ({ratio})")
            zipped = (root / "year.zip").stat().st_size / 1e6
            print(f"  year.zip: {zipped:.0f} MB; d.csv: {(root / 'd.csv').stat().st_size:,} bytes")
            with zipfile.ZipFile(root / "year.zip") as z:
                print(f"  files in the package: {len(z.namelist())}")
        finally:
            if name:
                drop_database(name)


if __name__ == "__main__":
    main()
