"""What `intake status` says about logins: which keep failing, which secrets expire soon."""

from __future__ import annotations

from typing import Any

from casefile.config import Settings
from intake.auth.backoff import for_settings


def login_report(settings: Settings) -> dict[str, Any]:
    """{"failing": [...], "warnings": [...]}; failing logins make status unhealthy."""
    from intake.auth.expiry import expiry_warnings

    failing = [
        {
            "login": key.replace("mailbox:", "brevlåda ").replace("smtp", "SMTP"),
            "failures": int(entry.get("failures", 0)),
            "since": entry.get("since"),
            "next_try_at": entry.get("next_try_at"),
            "error": entry.get("error"),
        }
        for key, entry in sorted(for_settings(settings).read().items())
        if isinstance(entry, dict)
    ]
    return {"failing": failing, "warnings": expiry_warnings(settings)}


def render_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        f"FEL: inloggningen misslyckas för {f['login']} ({f['failures']} gång(er) sedan "
        f"{f['since']}; nästa försök {f['next_try_at']}): {f['error']}"
        for f in report["failing"]
    ]
    lines += [f"VARNING: {w}" for w in report["warnings"]]
    return lines
