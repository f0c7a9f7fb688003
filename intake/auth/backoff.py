"""Refused logins back off: after a refusal the next try waits, and the wait doubles.

A wrong password or a missing permission does not fix itself, and a server that sees the same
refused login every two minutes may lock the account. The state lives in a small JSON file next
to the service's lock file (`casefile.lock` -> `casefile.logins.json`), so `intake poll --once`
from a timer backs off too, and `intake status` can say which login keeps failing. It holds the
one-line error and times only, never a secret.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casefile.atomic import write_atomic
from casefile.clock import utc_iso
from casefile.config import Settings

BASE_SECONDS = 60.0
MAX_SECONDS = 3600.0
_LOCK = threading.Lock()


def logins_path(settings: Settings) -> Path:
    lock = Path(settings.service.lock_path)
    return lock.with_name(f"{lock.stem}.logins.json")


def mailbox_key(name: str) -> str:
    return f"mailbox:{name}"


SMTP_KEY = "smtp"


def delay_after(failures: int) -> float:
    return float(min(BASE_SECONDS * 2 ** max(failures - 1, 0), MAX_SECONDS))


class LoginBackoff:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock

    def read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode())

    def waiting(self, key: str) -> str | None:
        """None when a login may be tried now; else one line saying until when and why."""
        entry = self.read().get(key)
        if not entry:
            return None
        until = float(entry.get("next_try", 0))
        if self.clock() >= until:
            return None
        local = dt.datetime.fromtimestamp(until).strftime("%H:%M:%S")
        # The source raises this as LoginRefused, which the poller does not retry at once.
        return (
            f"inloggningen nekades {entry.get('failures')} gång(er) i rad; nästa försök "
            f"{local} (senast: {entry.get('error')})"
        )

    def failed(self, key: str, error: str) -> None:
        with _LOCK:
            data = self.read()
            entry = data.get(key) or {"failures": 0, "since": utc_iso(self.clock())}
            entry["failures"] = int(entry.get("failures", 0)) + 1
            entry["error"] = error
            entry["last"] = utc_iso(self.clock())
            entry["next_try"] = self.clock() + delay_after(entry["failures"])
            entry["next_try_at"] = utc_iso(entry["next_try"])
            data[key] = entry
            with contextlib.suppress(OSError):
                self._write(data)

    def succeeded(self, key: str) -> None:
        with _LOCK:
            data = self.read()
            if key in data:
                del data[key]
                with contextlib.suppress(OSError):
                    self._write(data)


def for_settings(settings: Settings) -> LoginBackoff:
    return LoginBackoff(logins_path(settings))
