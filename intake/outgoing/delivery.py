"""How the outbox's deliveries go: failed attempts in a row and the last error.

`intake status` reads it to say why mail is not leaving and to exit 1 after
`service.max_failed_deliveries` failed attempts in a row (an SMTP server refusing connections,
a wrong port, a full disk under smtp.folder). Every flush writes it (the service, `intake send`,
`intake poll --once`): a small JSON file next to the lock file (`casefile.lock` ->
`casefile.delivery.json`), as the login backoff keeps its own. A delivered mail resets it.
Refused logins are not counted here: the login backoff has them (`intake status` says so).
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Any

from casefile.atomic import write_atomic
from casefile.clock import utc_iso, utcnow
from casefile.config import Settings

_LOCK = threading.Lock()


def delivery_path(settings: Settings) -> Path:
    lock = Path(settings.service.lock_path)
    return lock.with_name(f"{lock.stem}.delivery.json")


class DeliveryRecord:
    def __init__(self, path: Path) -> None:
        self.path = path
        # Known to be clean (no failure on file): a delivered mail then writes nothing.
        self._clean: bool | None = None

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def failed(self, error: str) -> None:
        with _LOCK:
            data = self.read()
            failures = int(data.get("failures", 0) or 0)
            now = utc_iso(utcnow())
            data.update(
                failures=failures + 1,
                since=data.get("since") if failures else now,
                last_error=error,
                last_error_at=now,
            )
            self._clean = False
            self._write(data)

    def succeeded(self) -> None:
        with _LOCK:
            if self._clean:
                return
            data = self.read()
            if int(data.get("failures", 0) or 0):
                self._write({"failures": 0, "last_success_at": utc_iso(utcnow())})
            self._clean = True

    def _write(self, data: dict[str, Any]) -> None:
        # Best effort: the record must never stop a delivery (the disk may be what failed).
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode())


def for_settings(settings: Settings) -> DeliveryRecord:
    return DeliveryRecord(delivery_path(settings))


def delivery_report(settings: Settings) -> dict[str, Any]:
    """For `intake status`: failed attempts in a row, since when, the last error; `failing`
    once they reach service.max_failed_deliveries."""
    data = for_settings(settings).read()
    failures = int(data.get("failures", 0) or 0)
    return {
        "failures_in_a_row": failures,
        "since": data.get("since") if failures else None,
        "last_error": data.get("last_error") if failures else None,
        "last_error_at": data.get("last_error_at") if failures else None,
        "max_failed_deliveries": settings.service.max_failed_deliveries,
        "failing": failures >= settings.service.max_failed_deliveries,
    }
