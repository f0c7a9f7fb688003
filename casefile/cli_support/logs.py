"""Logging of both programs: zoned timestamps on stderr, IMAP protocol dumps only on request."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys

import click


class _ZonedFormatter(logging.Formatter):
    """Timestamps with their UTC offset (2026-02-03T10:00:00+01:00): a log read later, or on
    another machine, must not leave the hour in doubt."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = dt.datetime.fromtimestamp(record.created).astimezone()
        return when.isoformat(timespec="seconds")


TRACE_ENV = "CASEFILE_TRACE"


def setup_logging(level: str = "INFO", trace: bool | None = None) -> None:
    """Log lines to stderr with zoned timestamps. IMAP protocol dumps (imapclient's DEBUG
    lines) only with `trace` (default: `intake --trace`, or $CASEFILE_TRACE=1), even at log
    level DEBUG: they are long and name every message."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ZonedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=[handler])
    if trace is None:
        ctx = click.get_current_context(silent=True)
        flag = bool(ctx and ctx.find_root().meta.get("trace"))
        trace = flag or os.environ.get(TRACE_ENV, "") == "1"
    logging.getLogger("imapclient").setLevel(logging.DEBUG if trace else logging.INFO)


# --- Groups and errors --------------------------------------------------------------------
