"""OAuth2 secrets that expire soon: one warning line each, for `intake check`, `intake status`
and the staff digest."""

from __future__ import annotations

import datetime as dt

from casefile import clock
from casefile.config import Settings

EXPIRY_WARNING_DAYS = 30


def expiry_warnings(settings: Settings, today: dt.date | None = None) -> list[str]:
    """One line per OAuth2 secret that expires within 30 days (or has), for status and digest."""
    today = today or clock.today(settings.registry.zone)
    lines = []
    for name, cfg in sorted(settings.oauth2.items()):
        if cfg.secret_expires is None:
            continue
        days = (cfg.secret_expires - today).days
        if days > EXPIRY_WARNING_DAYS:
            continue
        what = (
            "certifikatet"
            if cfg.private_key_file and not cfg.client_secret_env
            else ("klienthemligheten")
        )
        when = (
            f"gick ut {cfg.secret_expires.isoformat()}"
            if days < 0
            else f"går ut {cfg.secret_expires.isoformat()} (om {days} dagar)"
        )
        lines.append(
            f"oauth2 {name}: {what} {when}; skapa en ny i appregistreringen och uppdatera "
            "secret_expires"
        )
    return lines
