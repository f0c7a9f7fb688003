"""Intake benchmark against a real Dovecot holding N messages with DOCX reports.

Prints, measured in this run:
- ingest throughput of `poll_all` (messages/s: fetch, archive, extract, register, queue the
  acknowledgement), and its ratio to a bare imapclient fetch of the same messages;
- the wall time of a poll of the unchanged mailbox, next to a bare LOGIN + SELECT + LOGOUT.
Targets: ingest >= 10 messages/s; the unchanged poll <= 1.5x the bare round trip. Each is
printed as ok or MISSED; the exit status is 1 when one is missed. Baselines run warm: the bare
fetch once untimed first (Dovecot reads its files cold the first time), then timed before and
after the ingest; the round trips take turns with the unchanged polls after a warm-up round.

Usage: python bench/poll.py [--messages 2000] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from imapclient import IMAPClient

from bench.common import Targets, interleaved, median
from casefile.app import App
from casefile.config import Settings
from casefile.db.migrate import upgrade
from casefile.db.models import Document
from intake.mail.poll import poll_all
from tests.support.dovecot import DovecotServer
from tests.support.mail import REPORTS, message
from tests.support.postgres import create_database, drop_database


def fill(account_client: IMAPClient, n: int) -> None:
    files = sorted(REPORTS.glob("r0[1-7]*.docx"))
    when = dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC)
    for i in range(n):
        f = files[i % len(files)]
        raw = bytes(
            message(
                sender=f"Avsändare {i} <person{i}@kommun{i % 50}.test>",
                subject=f"Slutrapport {i}",
                attachments=[(f.name, f.read_bytes())],
            )
        )
        account_client.append("INBOX", raw, msg_time=when + dt.timedelta(seconds=i))


def bare_fetch(server: DovecotServer, user: str, password: str, batch: int) -> float:
    start = time.perf_counter()
    with IMAPClient("127.0.0.1", port=server.port, ssl=False) as c:
        c.plain_login(user, password)
        c.select_folder("INBOX", readonly=True)
        uids = c.search(["UID", "1:*"])
        total = 0
        for i in range(0, len(uids), batch):
            for item in c.fetch(uids[i : i + batch], ["BODY.PEEK[]", "INTERNALDATE"]).values():
                total += len(item[b"BODY[]"])
    return time.perf_counter() - start


def bare_roundtrip(server: DovecotServer, user: str, password: str) -> float:
    start = time.perf_counter()
    c = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=30)
    c.login(user, password)  # as intake does for an ASCII password
    c.select_folder("INBOX", readonly=False)
    c.logout()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="casefile-bench-"))
    root.chmod(0o755)
    server = DovecotServer(root / "dovecot")
    (root / "dovecot").mkdir()
    (root / "dovecot").chmod(0o755)
    server.start()
    pg_name = None
    targets = Targets()
    try:
        account = server.add_account()
        print(f"filling Dovecot with {args.messages} messages with DOCX reports…", flush=True)
        with account.client() as c:
            fill(c, args.messages)
        if args.db == "sqlite":
            url = f"sqlite:///{root / 'casefile.db'}"
        else:
            pg_name, url = create_database("casefile_bench")
        box = account.mailbox_settings()
        settings = Settings.from_dict(
            {
                "database": {"url": url},
                "storage": {"path": str(root / "archive")},
                "mailboxes": [box],
                "smtp": {"transport": "folder", "folder": str(root / "outbox")},
            }
        )
        app = App(settings)
        upgrade(app.engine)
        batch = settings.mailboxes[0].batch_size

        bare_fetch(server, account.username, account.password, batch)  # warm Dovecot's cache
        bare_before = bare_fetch(server, account.username, account.password, batch)
        start = time.perf_counter()
        results = poll_all(app)
        ingest = time.perf_counter() - start
        bare = min(bare_before, bare_fetch(server, account.username, account.password, batch))
        assert all(r.ok for r in results), [r.error for r in results]
        with app.sessions() as s:
            registered = s.scalar(sa.select(sa.func.count()).select_from(Document))
        rate = args.messages / ingest
        print(f"database: {args.db}")
        print(
            f"bare imapclient fetch of {args.messages} messages (warm, best of the one "
            f"before and the one after): {bare:6.2f} s ({args.messages / bare:,.0f} messages/s)"
        )
        print(
            f"intake poll (fetch+archive+extract+register+queue): {ingest:6.2f} s "
            f"= {rate:,.1f} messages/s, {registered} documents registered; "
            f"{ingest / bare:.1f}x the bare fetch"
        )
        targets.check("ingest", rate, 10, at_least=True, unit=" messages/s")

        rounds = 15

        def unchanged_poll() -> None:
            again = poll_all(app)
            assert again[0].ok and again[0].outcomes == []

        bare_times, poll_times = interleaved(
            [
                lambda: bare_roundtrip(server, account.username, account.password),
                unchanged_poll,
            ],
            rounds,
        )
        bare_rt, poll_rt = median(bare_times), median(poll_times)
        print(f"bare LOGIN+SELECT+LOGOUT (median of {rounds}): {bare_rt * 1000:6.1f} ms")
        print(f"poll of the unchanged mailbox (median of {rounds}): {poll_rt * 1000:6.1f} ms")
        targets.check("unchanged poll / bare round trip", poll_rt / bare_rt, 1.5, unit="x")
        app.engine.dispose()
    finally:
        server.stop()
        if pg_name:
            drop_database(pg_name)
        shutil.rmtree(root, ignore_errors=True)
    return targets.finish()


if __name__ == "__main__":
    raise SystemExit(main())
