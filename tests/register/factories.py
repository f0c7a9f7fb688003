"""Building register input for tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casefile.register import NewDocument

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))


def new_report(
    title: str = "SAFE",
    organisation: str = "Bollnäs kommun",
    received_at: dt.datetime | None = None,
    signed: bool = True,
    **extra: Any,
) -> NewDocument:
    findings = [] if signed else [{"code": "unsigned", "message": "Avsnitt 8 saknar datum."}]
    base: dict[str, Any] = {
        "kind": "slutrapport",
        "received_at": received_at or dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC),
        "sender": "anna.berg@bollnas.test",
        "subject": f"Slutrapport {title}",
        "title": title,
        "organisation": organisation,
        "fields": {"title": title, "organisation": organisation},
        "findings": findings,
        "submitter_signed": signed,
        "contact_email": "anna.berg@bollnas.test",
    }
    base.update(extra)
    return NewDocument(**base)
