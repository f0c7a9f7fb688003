"""Intake benchmark against a real Dovecot holding N messages with DOCX reports.

Prints, measured in this run:
- ingest throughput of `poll_all` (messages/s: fetch, archive, extract, register, queue the
  acknowledgement), and its ratio to a bare imapclient fetch of the same messages;
- the wall time of a poll of the unchanged mailbox, next to a bare LOGIN + SELECT + LOGOUT.
Targets: ingest >= 10 messages/s; the unchanged poll <= 1.5x the bare round trip. Each is
printed as ok or MISSED; the exit status is 1 when one is missed. Baselines run warm: the bare
fetch once untimed first (Dovecot reads its files cold the first time), then timed before and
after the ingest; the round trips take turns with the unchanged polls after a warm-up round.

With --worst: the worst messages of the attack set (issue 9), each alone in a mailbox and taken
by a real `intake poll --once`: the largest header (just under and far over max_header_bytes),
the most attachments (60,000 tiny parts), the slowest PDF (ten distinct copies of one that parses
until the time limit), 1000 MIME levels, 80,000 References. Per message: wall time and peak RSS
of the poll process (sampled from /proc every 10 ms; the isolated extraction child has its own
limit). Target: every message <= 60 s and <= 300 MB.

With --transport graph: the same N messages in Dovecot and in the loopback Microsoft Graph
(tests/support/graph_server.py: TLS, kept-alive connections, delta pages of 10 as Graph's
default, the token endpoint stub), each taken by `poll_all` in a forked process into a register
of its own, in this run: ingest messages/s over Graph and over IMAP and their ratio, and the
poll of the unchanged mailbox (one delta request) next to IMAP's. Target: Graph ingest >= 0.8x
IMAP's. --graph-delay S makes each $value answer take S seconds more (Graph over the internet
rather than loopback), to show the four requests in flight at work (--graph-in-flight 1 for
the contrast).

Usage: python bench/poll.py [--messages 2000] [--db sqlite|postgresql] [--worst]
       python bench/poll.py --transport graph [--messages 500] [--graph-delay 0.1]
                            [--graph-in-flight 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from imapclient import IMAPClient

from bench.common import Targets, interleaved, median
from casefile.app import App
from casefile.config import settings_from_dict
from casefile.db.migrate import upgrade
from casefile.db.models import Document
from intake.mail.poll import poll_all
from intake.sources import graph as graph_source
from tests.support.dovecot import Account, DovecotServer
from tests.support.graph_server import (
    CLIENT_ID,
    SECRET_ENV,
    USER,
    GraphStub,
    GraphTokenStub,
    graph_box,
    graph_sections,
)
from tests.support.mail import REPORTS, message
from tests.support.oauth2 import Client
from tests.support.postgres import create_database, drop_database
from tests.support.toml import write_config

INTAKE = str(Path(sys.executable).parent / "intake")
TARGET_SECONDS, TARGET_MB = 60.0, 300


def _raw(headers: list[tuple[str, str]], body: bytes = b"Hej.\r\n") -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n" + body


def _head(subject: str, **extra: str) -> list[tuple[str, str]]:
    return [
        ("From", "Anna Berg <anna.berg@bollnas.test>"),
        ("To", "kontakt@finsam.test"),
        ("Subject", subject),
        ("Message-ID", f"<{abs(hash(subject)) % 10**9}@bollnas.test>"),
        *extra.items(),
    ]


def header_bomb(words: int) -> bytes:
    return _raw(_head("\r\n ".join(["=?utf-8?q?r=C3=A4tt?="] * words)))


def slow_pdf(tag: int, ops: int = 2_000_000) -> bytes:
    """A small PDF whose one page holds millions of drawing operations (deflated)."""
    content = zlib.compress(b"BT /F1 1 Tf (x) Tj ET " * ops, 9)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%" + str(tag).encode() + b"\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )
    return out


def many_parts(count: int) -> bytes:
    parts = b"".join(
        b"--B\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="f%d.txt"\r\n\r\n%d\r\n' % (i, i)
        for i in range(count)
    )
    head = _head("Många bilagor", **{"MIME-Version": "1.0"})
    head.append(("Content-Type", 'multipart/mixed; boundary="B"'))
    return _raw(head, parts + b"--B--\r\n")


def deep_mime(levels: int) -> bytes:
    head = _head("Djup", **{"MIME-Version": "1.0"})
    body = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(levels)
    )
    body += b"Content-Type: text/plain\r\n\r\nHej\r\n"
    body += b"".join(b"--b%d--\r\n" % i for i in reversed(range(levels)))
    # The first Content-Type line belongs to the top-level header block.
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in head) + body


def attack_set() -> list[tuple[str, Callable[[], bytes]]]:
    pdfs = [(f"langsam{i}.pdf", slow_pdf(i)) for i in range(10)]
    refs = " ".join(f"<r{i}@x.test>" for i in range(80_000))
    return [
        ("header 62 KB of RFC 2047 words", lambda: header_bomb(2600)),
        ("header 5 MB Subject", lambda: _raw(_head("x " * 2_500_000))),
        ("80,000 References", lambda: _raw(_head("Svar", References=refs))),
        ("60,000 tiny attachments", lambda: many_parts(60_000)),
        ("10 slow PDFs", lambda: bytes(message(attachments=pdfs))),
        ("1000 MIME levels", lambda: deep_mime(1000)),
    ]


def _peak_rss(proc: subprocess.Popen[bytes]) -> int:
    peak = 0
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]) // 1024)
        except OSError:
            break
        time.sleep(0.01)
    return peak


def _watch(proc: subprocess.Popen[bytes], peak: list[int]) -> None:
    peak[0] = _peak_rss(proc)


def worst(server: DovecotServer, root: Path, db: str, targets: Targets) -> None:
    print(
        f"worst messages (one poll process each; target <= {TARGET_SECONDS:g} s, "
        f"<= {TARGET_MB} MB):"
    )
    for name, build in attack_set():
        raw = build()
        account = server.add_account()
        with account.client() as c:
            c.append("INBOX", raw, msg_time=dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC))
        folder = root / f"w{account.username}"
        folder.mkdir()
        pg_name = None
        if db == "sqlite":
            url = f"sqlite:///{folder / 'casefile.db'}"
        else:
            pg_name, url = create_database("casefile_bench")
        config = write_config(
            folder / "casefile.toml",
            {
                "database": {"url": url},
                "storage": {"path": str(folder / "archive")},
                "mailboxes": [account.mailbox_settings()],
                "smtp": {"transport": "folder", "folder": str(folder / "outbox")},
                "service": {"lock_path": str(folder / "casefile.lock")},
            },
        )
        app = App(settings_from_dict({"database": {"url": url}}))
        upgrade(app.engine)
        app.engine.dispose()
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [INTAKE, "--config", str(config), "poll", "--once"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=dict(os.environ),
            )
            peak = [0]
            watcher = threading.Thread(target=_watch, args=(proc, peak))
            watcher.start()
            _, err = proc.communicate()
            watcher.join()
            seconds = time.perf_counter() - start
            outcome = next(
                (w.split("=", 1)[1] for w in err.decode().split() if w.startswith("utfall=")),
                f"exit {proc.returncode}",
            )
            print(
                f"  {name:32} {len(raw) / 1e6:6.2f} MB  {seconds:6.1f} s  {peak[0]:5d} MB  "
                f"{outcome}",
                flush=True,
            )
            targets.check(f"  {name}: time", seconds, TARGET_SECONDS, unit=" s")
            targets.check(f"  {name}: peak memory", peak[0], TARGET_MB, unit=" MB")
            # A poll that failed is missed whatever it cost: the message must be taken.
            targets.check(f"  {name}: exit status", proc.returncode, 0)
        finally:
            if pg_name:
                drop_database(pg_name)


def reports(n: int) -> list[tuple[bytes, dt.datetime]]:
    files = sorted(REPORTS.glob("r0[1-7]*.docx"))
    when = dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        f = files[i % len(files)]
        raw = bytes(
            message(
                sender=f"Avsändare {i} <person{i}@kommun{i % 50}.test>",
                subject=f"Slutrapport {i}",
                attachments=[(f.name, f.read_bytes())],
            )
        )
        out.append((raw, when + dt.timedelta(seconds=i)))
    return out


def fill(account_client: IMAPClient, n: int) -> None:
    for raw, when in reports(n):
        account_client.append("INBOX", raw, msg_time=when)


def _database(root: Path, db: str, name: str) -> tuple[str, str | None]:
    """A fresh register: (url, the PostgreSQL database to drop afterwards or None)."""
    if db == "sqlite":
        return f"sqlite:///{root / name}.db", None
    pg_name, url = create_database("casefile_bench")
    return url, pg_name


def _poll_child(config: Path) -> None:
    app = App.from_config(str(config))
    results = poll_all(app)
    os._exit(0 if all(r.ok for r in results) else 1)


def _timed_ingest(config: Path, n: int) -> float:
    """Seconds for `poll_all` in a forked process of its own, so that the loopback Graph
    serving from this process does not share its interpreter lock with the poll (Dovecot is a
    process of its own too)."""
    child = multiprocessing.get_context("fork").Process(target=_poll_child, args=(config,))
    start = time.perf_counter()
    child.start()
    child.join()
    seconds = time.perf_counter() - start
    assert child.exitcode == 0, child.exitcode
    app = App.from_config(str(config))
    with app.sessions() as s:
        registered = s.scalar(sa.select(sa.func.count()).select_from(Document))
    app.engine.dispose()
    assert registered == n, registered
    return seconds


def graph_compare(server: DovecotServer, root: Path, args: argparse.Namespace) -> Targets:
    """The same messages over Graph and over IMAP, one register each, in this run."""
    targets = Targets()
    tokens = GraphTokenStub()
    tokens.clients[CLIENT_ID] = Client(secret="s3cret", mailbox=USER)
    tokens.start()
    graph = GraphStub(validate=tokens.valid_email, user=USER, page_size=10)
    graph.value_delay = args.graph_delay
    graph_source.IN_FLIGHT = args.graph_in_flight
    graph.start()
    os.environ[SECRET_ENV] = "s3cret"
    account: Account = server.add_account()
    drop: list[str] = []
    apps: list[App] = []
    try:
        print(f"filling Dovecot and the loopback Graph with {args.messages} messages…", flush=True)
        mail = reports(args.messages)
        with account.client() as c:
            for raw, when in mail:
                c.append("INBOX", raw, msg_time=when)
        for raw, when in mail:
            graph.deliver(raw, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        sections = graph_sections(tokens, graph)
        rates: dict[str, float] = {}
        unchanged: dict[str, float] = {}
        for kind, box in (("graph", graph_box(graph)), ("imap", account.mailbox_settings())):
            url, pg_name = _database(root, args.db, f"casefile-{kind}")
            if pg_name:
                drop.append(pg_name)
            config = write_config(
                root / f"casefile-{kind}.toml",
                {
                    "database": {"url": url},
                    "storage": {"path": str(root / f"archive-{kind}")},
                    "mailboxes": [box],
                    "smtp": {"transport": "folder", "folder": str(root / f"outbox-{kind}")},
                    **sections,
                },
            )
            app = App.from_config(str(config))
            apps.append(app)
            upgrade(app.engine)
            app.engine.dispose()
            seconds = _timed_ingest(config, args.messages)
            rates[kind] = args.messages / seconds
            print(
                f"{kind:5} ingest of {args.messages} messages: {seconds:6.2f} s "
                f"= {rates[kind]:,.1f} messages/s",
                flush=True,
            )

            def again(app: App = app) -> None:
                result = poll_all(app)
                assert result[0].ok and result[0].outcomes == []

            (times,) = interleaved([again], 15)
            unchanged[kind] = median(times)
        print(
            f"database: {args.db}; Graph over TLS, delta pages of {graph.page_size}, "
            f"{args.graph_delay * 1000:.0f} ms added to each $value"
        )
        print(
            f"poll of the unchanged mailbox (median of 15): Graph {unchanged['graph'] * 1000:.1f}"
            f" ms, IMAP {unchanged['imap'] * 1000:.1f} ms"
        )
        print(
            f"Graph requests: {len(graph.requests)}; at most {graph.max_in_flight} in flight",
            flush=True,
        )
        ratio = rates["graph"] / rates["imap"]
        targets.check("Graph ingest / IMAP ingest", ratio, 0.8, at_least=True, unit="x")
        targets.check("Graph requests in flight", graph.max_in_flight, graph_source.IN_FLIGHT)
    finally:
        for app in apps:
            app.engine.dispose()
        graph.stop()
        tokens.stop()
        for name in drop:
            drop_database(name)
    return targets


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
    parser.add_argument("--worst", action="store_true", help="only the attack set's worst mail")
    parser.add_argument(
        "--transport", choices=["imap", "graph"], default="imap", help="graph: Graph vs IMAP"
    )
    parser.add_argument("--graph-delay", type=float, default=0.0, help="s added to $value")
    parser.add_argument(
        "--graph-in-flight", type=int, default=4, help="Graph requests in flight (for contrast)"
    )
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
        if args.worst:
            worst(server, root, args.db, targets)
            return targets.finish()
        if args.transport == "graph":
            return graph_compare(server, root, args).finish()
        account = server.add_account()
        print(f"filling Dovecot with {args.messages} messages with DOCX reports…", flush=True)
        with account.client() as c:
            fill(c, args.messages)
        if args.db == "sqlite":
            url = f"sqlite:///{root / 'casefile.db'}"
        else:
            pg_name, url = create_database("casefile_bench")
        box = account.mailbox_settings()
        settings = settings_from_dict(
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
