"""Moved to casefile/due.py (one rule for show, overdue and the reminders); this name stays for
old imports."""

from __future__ import annotations

from casefile.due import closed_days, easter_sunday, is_business_day, next_business_day

__all__ = ["closed_days", "easter_sunday", "is_business_day", "next_business_day"]
