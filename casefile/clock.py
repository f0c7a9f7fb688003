"""The one way to read the clock and to write a time: UTC now, the registry's date today, ISO
8601 text. Standard library only, so that any module of either package may use it."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, aware, in UTC (what the register stores)."""
    return dt.datetime.now(dt.UTC)


def local_date(when: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The calendar date of `when` in `zone` (the registry's time zone)."""
    return when.astimezone(zone).date()


def today(zone: dt.tzinfo) -> dt.date:
    """Today's date in `zone` (the registry's time zone)."""
    return local_date(utcnow(), zone)


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO 8601 as the value is (a date, or a time with its own offset); None stays None."""
    return value.isoformat() if value is not None else None


def utc_iso(value: dt.datetime | float | None) -> str | None:
    """A time (aware, or seconds since the epoch) in UTC to the second, as the state files write
    it: "2026-12-07T20:15:00+00:00". None (and no time) stays None."""
    if value is None:
        return None
    when = dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, float | int) else value
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")
