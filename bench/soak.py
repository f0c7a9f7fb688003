"""Soak test: `intake serve` for a long while against a Dovecot mailbox that keeps receiving.

A real Dovecot (tests/support/dovecot.py) gets a report every few seconds; a real SMTP server
(aiosmtpd, tests/support/smtp.py) receives the acknowledgements. The service runs as its own
process, as in production. Printed at the end:

- the service's RSS after warm-up (the first acknowledgement) and at the end, and the peak;
  target: growth under 20 MB;
- arrival-to-acknowledgement latency (append to the mail server -> acknowledgement received),
  median and max; target: median under one poll interval plus 5 s;
- that the stop on SIGTERM was clean and in time, and that every report was acknowledged once.

Run as root (Dovecot needs it): python bench/soak.py [--seconds 600] [--interval 10] [--every 3]
Exit status 1 when a target is missed.

IDLE mode (`--idle [--messages 100] [--every 2]`): the poll interval is 300 s, so only IMAP IDLE
can make acknowledgements fast; `--messages` reports, then arrival-to-acknowledgement median and
max with targets median <= 2 s and max <= 5 s, printed as ok or MISSED.

Graph mode (`--transport graph [--messages 50] [--every 1] [--interval 2]`): the mailbox is the
loopback Microsoft Graph (tests/support/graph_server.py, TLS, with its token endpoint) polled by
its delta link every `--interval` s, and the acknowledgements go out through its sendMail; the
latency is arrival (the message put in the Inbox) -> sendMail received. Targets: median <= 5 s,
none missing or sent twice, a clean SIGTERM. Needs no root and no Dovecot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import io
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Targets  # noqa: E402
from tests.service.support import ServiceProcess, migrated_app, write_config  # noqa: E402
from tests.support.dovecot import DovecotServer  # noqa: E402
from tests.support.graph_server import (  # noqa: E402
    CLIENT_ID,
    SECRET_ENV,
    USER,
    GraphStub,
    GraphTokenStub,
    graph_box,
    graph_sections,
)
from tests.support.mail import REPORTS, message  # noqa: E402
from tests.support.oauth2 import Client  # noqa: E402
from tests.support.smtp import CA_FILE, Received, SmtpServer  # noqa: E402

DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
RSS_GROWTH_LIMIT_MB = 20.0
IDLE_POLL_INTERVAL = 300
IDLE_MEDIAN_TARGET = 2.0
IDLE_MAX_TARGET = 5.0
STOP_LIMIT_SECONDS = 30.0
GRAPH_MEDIAN_TARGET = 5.0


def graph_main(args: argparse.Namespace) -> int:
    """`intake serve` on a Graph mailbox: arrival -> kvittens through sendMail."""
    work = Path(tempfile.mkdtemp(prefix="casefile-soak-graph-"))
    tokens = GraphTokenStub()
    tokens.clients[CLIENT_ID] = Client(secret="s3cret", mailbox=USER)
    tokens.start()
    graph = GraphStub(validate=tokens.valid_email, user=USER, page_size=10)
    graph.start()
    os.environ[SECRET_ENV] = "s3cret"
    service: ServiceProcess | None = None
    sent: dict[str, float] = {}
    try:
        db_url = args.db_url or f"sqlite:///{work / 'casefile.db'}"
        smtp: dict[str, object] = {
            "transport": "graph",
            "oauth2": "graph",
            "username": USER,
            "graph_url": graph.url,
            "from_address": USER,
            "ca_file": str(CA_FILE),
        }
        config = write_config(
            work,
            db_url,
            [graph_box(graph, poll_interval_seconds=args.interval)],
            smtp,
            service={"outbox_interval_seconds": 60},
            **graph_sections(tokens, graph),
        )
        migrated_app(config).engine.dispose()
        service = ServiceProcess(config)
        service.wait_for_log("intake serve startar")
        print(
            f"service pid {service.proc.pid}: Graph delta poll every {args.interval} s, "
            f"{args.messages} reports one every {args.every:g} s; log in {service.log_path}",
            flush=True,
        )
        for i in range(args.messages):
            mail = message(
                sender=f"Anna Berg <anna{i}@bollnas.test>",
                attachments=[("slutrapport.docx", unique_report(i + 1))],
            )
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            sent[str(mail["Message-ID"])] = time.time()
            graph.deliver(bytes(mail), now)
            time.sleep(args.every)
            if service.proc.poll() is not None:
                raise RuntimeError(f"the service died ({service.proc.returncode})")
        deadline = time.monotonic() + 2 * args.interval + 30
        while time.monotonic() < deadline and len(graph.sent) < len(sent):
            time.sleep(0.2)
        service.signal(signal.SIGTERM)
        stop_began = time.monotonic()
        code = service.wait(60)
        stop_took = time.monotonic() - stop_began
    finally:
        if service is not None:
            service.kill()
        graph.stop()
        tokens.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    acked: dict[str, float] = {}
    count: dict[str, int] = {}
    for raw, at in zip(graph.sent, graph.sent_at, strict=True):
        answered = str(email.message_from_bytes(raw)["In-Reply-To"] or "")
        acked.setdefault(answered, at)
        count[answered] = count.get(answered, 0) + 1
    latencies = sorted(acked[m] - t for m, t in sent.items() if m in acked)
    missing = [m for m in sent if m not in acked]
    twice = [m for m, n in count.items() if n > 1]
    inf = float("inf")
    median = statistics.median(latencies) if latencies else inf
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else inf
    print()
    print(
        f"Graph: {len(sent)} reports, {len(latencies)} acknowledged through sendMail; "
        f"arrival -> kvittens median {median:.2f} s, p95 {p95:.2f} s, "
        f"max {max(latencies, default=inf):.2f} s (delta poll every {args.interval} s); "
        f"{len(graph.requests)} Graph requests"
    )
    targets = Targets()
    targets.check("latency median", median, GRAPH_MEDIAN_TARGET, unit=" s")
    targets.check("reports missing or acknowledged twice", len(missing) + len(twice), 0)
    targets.check(f"SIGTERM unclean exit (status {code})", 0.0 if code == 0 else 1.0, 0)
    targets.check("SIGTERM stop time", stop_took, STOP_LIMIT_SECONDS, unit=" s")
    return targets.finish()


def unique_report(i: int) -> bytes:
    """The fixture report as the report of an insats of its own (title "Insats nummer i").

    Real traffic spreads over many cases of a few documents each. Sending the same report
    again and again would file them all in one case, and registering into a case of hundreds
    of documents costs memory that grows with the case (measured: about 0.17 MB per document),
    which is the register's matter and would hide what this bench looks for: a leak over time.
    """
    source = zipfile.ZipFile(io.BytesIO(DOCX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace("Kärnhuset 2.0".encode(), f"Insats nummer {i}".encode())
            target.writestr(item, data)
    return out.getvalue()


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found for pid {pid}")


class Acks:
    """Acknowledgements as they arrive, by the Message-ID they answer."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, received: Received) -> None:
        answered = str(received.message["In-Reply-To"] or "")
        with self.lock:
            self.at.setdefault(answered, time.time())
            self.count[answered] = self.count.get(answered, 0) + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="how long to feed mail")
    parser.add_argument("--interval", type=int, default=10, help="poll interval (s)")
    parser.add_argument("--every", type=float, default=3, help="a new message every N s")
    parser.add_argument("--db-url", default=None, help="database (default: SQLite in temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--one-case", action="store_true", help="the same report each time: one growing case"
    )
    parser.add_argument(
        "--idle", action="store_true", help="IMAP IDLE mode: 300 s poll interval, latency targets"
    )
    parser.add_argument(
        "--messages", type=int, default=None, help="IDLE/Graph mode: how many (100/50) reports"
    )
    parser.add_argument("--transport", choices=["imap", "graph"], default="imap")
    args = parser.parse_args()
    if args.transport == "graph":
        if args.messages is None:
            args.messages = 50
        if "--interval" not in sys.argv:
            args.interval = 2
        if "--every" not in sys.argv:
            args.every = 1
        return graph_main(args)
    if args.messages is None:
        args.messages = 100
    if args.idle:
        args.interval = IDLE_POLL_INTERVAL
        args.seconds = args.messages * args.every

    work = Path(tempfile.mkdtemp(prefix="casefile-soak-"))
    work.chmod(0o755)  # Dovecot serves mail as nobody
    dovecot = DovecotServer(work / "dovecot")
    dovecot.root.mkdir()
    dovecot.start()
    smtp = SmtpServer()
    acks = Acks()
    smtp.handler.on_accept = acks
    smtp.start()
    service: ServiceProcess | None = None
    try:
        account = dovecot.add_account()
        db_url = args.db_url or f"sqlite:///{work / 'casefile.db'}"
        config = write_config(
            work,
            db_url,
            [account.mailbox_settings(poll_interval_seconds=args.interval)],
            smtp.smtp_settings(),
            service={"outbox_interval_seconds": 60},
        )
        migrated_app(config).engine.dispose()
        service = ServiceProcess(config)
        pid = service.proc.pid
        service.wait_for_log("intake serve startar")
        if args.idle:
            service.wait_for_log("väntar på ny post (IDLE)")
        print(
            f"service pid {pid}: poll every {args.interval} s, a report every {args.every:g} s "
            f"for {args.seconds:g} s; log in {service.log_path}",
            flush=True,
        )

        sent: dict[str, float] = {}
        rss_start: float | None = None
        started = time.monotonic()
        client = account.client()
        i = 0
        next_report = time.monotonic()
        next_print = started + 60
        while time.monotonic() - started < args.seconds:
            if service.proc.poll() is not None:
                raise RuntimeError(f"the service died ({service.proc.returncode})")
            now = time.monotonic()
            if now >= next_report:
                i += 1
                mail = message(
                    sender=f"Anna Berg <anna{i}@bollnas.test>",
                    attachments=[("slutrapport.docx", DOCX if args.one_case else unique_report(i))],
                )
                client.append("INBOX", bytes(mail), msg_time=dt.datetime.now(dt.UTC))
                sent[str(mail["Message-ID"])] = time.time()
                next_report += args.every
            if rss_start is None and acks.at:
                rss_start = rss_mb(pid)
                print(f"RSS after the first acknowledgement: {rss_start:.1f} MB", flush=True)
            if now >= next_print:
                print(
                    f"{now - started:5.0f} s: {len(sent)} sent, {len(acks.at)} acknowledged, "
                    f"RSS {rss_mb(pid):.1f} MB",
                    flush=True,
                )
                next_print += 60
            time.sleep(0.05)
        client.logout()

        # Let the last ones through: two poll intervals and the outbox (IDLE: a few seconds).
        deadline = time.monotonic() + (15 if args.idle else 2 * args.interval + 15)
        while time.monotonic() < deadline and not set(sent) <= set(acks.at):
            time.sleep(0.2)
        rss_end, rss_peak = rss_mb(pid), rss_mb(pid, "VmHWM")

        service.signal(signal.SIGTERM)
        stop_began = time.monotonic()
        code = service.wait(60)
        stop_took = time.monotonic() - stop_began
    finally:
        if service is not None:
            service.kill()
        smtp.stop()
        dovecot.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    latencies = sorted(acks.at[m] - t for m, t in sent.items() if m in acks.at)
    missing = [m for m in sent if m not in acks.at]
    twice = [m for m, n in acks.count.items() if n > 1]
    inf = float("inf")
    median = statistics.median(latencies) if latencies else inf
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else inf
    worst = max(latencies, default=inf)
    first = rss_start if rss_start is not None else rss_end
    growth = rss_end - first
    latency_target = args.interval + 5
    checks = [
        (
            growth < RSS_GROWTH_LIMIT_MB,
            f"RSS {first:.1f} MB -> {rss_end:.1f} MB (growth {growth:+.1f} MB, "
            f"peak {rss_peak:.1f} MB; target < {RSS_GROWTH_LIMIT_MB:g} MB)",
        ),
        (
            median < latency_target,
            f"latency median {median:.2f} s, p95 {p95:.2f} s, max {worst:.2f} s "
            f"(target median < {latency_target} s)",
        ),
        (
            not missing and not twice,
            f"{len(sent)} reports sent, {len(latencies)} acknowledged, {len(missing)} missing, "
            f"{len(twice)} acknowledged twice",
        ),
        (
            code == 0 and stop_took < STOP_LIMIT_SECONDS,
            f"SIGTERM: exit {code} after {stop_took:.1f} s",
        ),
    ]
    if args.idle:
        idle_ok = median <= IDLE_MEDIAN_TARGET and worst <= IDLE_MAX_TARGET
        checks[1] = (
            idle_ok,
            f"IDLE latency over {len(latencies)} reports: median {median:.2f} s, p95 {p95:.2f} s, "
            f"max {worst:.2f} s (target median <= {IDLE_MEDIAN_TARGET:g} s, "
            f"max <= {IDLE_MAX_TARGET:g} s; poll interval {args.interval} s): "
            f"{'ok' if idle_ok else 'MISSED'}",
        )
    print()
    for _ok, text in checks:
        print(text)
    targets = Targets()
    targets.check("RSS growth", growth, RSS_GROWTH_LIMIT_MB, unit=" MB")
    targets.check("latency median", median, latency_target, unit=" s")
    targets.check("reports missing or acknowledged twice", len(missing) + len(twice), 0)
    targets.check(f"SIGTERM unclean exit (status {code})", 0.0 if code == 0 else 1.0, 0)
    targets.check("SIGTERM stop time", stop_took, STOP_LIMIT_SECONDS, unit=" s")
    if args.keep:
        print(f"kept: {work}")
    return targets.finish()


if __name__ == "__main__":
    if shutil.which("dovecot") is None and "graph" not in sys.argv:
        print("dovecot is not installed: run scripts/setup", file=sys.stderr)
        raise SystemExit(2)
    os.umask(0o022)
    raise SystemExit(main())
