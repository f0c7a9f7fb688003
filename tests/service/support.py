"""Running `intake serve` as a real subprocess, with a configuration file written by the test."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casefile.app import App
from casefile.db.migrate import upgrade
from tests.support.dovecot import Account
from tests.support.rows import documents as documents  # re-exported
from tests.support.rows import messages as messages  # re-exported
from tests.support.toml import dumps

ROOT = Path(__file__).resolve().parents[2]
HANDLED = re.compile(r"brevlåda=(\S+) uid=(\d+) utfall=(\S+) diarienummer=(\S+)")


def write_config(
    tmp_path: Path,
    db_url: str,
    boxes: list[dict[str, object]],
    smtp: dict[str, object],
    name: str = "casefile.toml",
    **sections: dict[str, object],
) -> Path:
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "registry": {"office_name": "Samordningsförbund Gävleborg"},
        "storage": {"path": str(tmp_path / "archive")},
        "smtp": {
            "from_address": "kontakt@finsam.test",
            "from_name": "Samordningsförbund Gävleborg",
            **smtp,
        },
        "service": {
            "lock_path": str(tmp_path / "casefile.lock"),
            "log_level": "INFO",
            "outbox_interval_seconds": 2,
        },
        "mailboxes": boxes,
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    path = tmp_path / name
    path.write_text(dumps(data), encoding="utf-8")
    return path


def migrated_app(config: Path) -> App:
    app = App.from_config(str(config))
    upgrade(app.engine)
    return app


def intake_command(config: Path, *args: str) -> list[str]:
    """The `intake` console script, run by this interpreter: `intake --config FILE …`."""
    return [
        sys.executable,
        "-c",
        "from intake.cli import main; main()",
        "--config",
        str(config),
        *args,
    ]


class ServiceProcess:
    """One `intake serve`; its stderr (the log) goes to a file the test reads as it grows."""

    def __init__(self, config: Path, *args: str, log_name: str = "serve.log") -> None:
        self.log_path = config.parent / log_name
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            intake_command(config, "serve", *args),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def handled(self) -> list[tuple[str, int, str]]:
        return [(m[1], int(m[2]), m[3]) for m in HANDLED.finditer(self.log())]

    def wait_for(self, what: Callable[[], bool], timeout: float, label: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited ({self.proc.returncode}) waiting for {label}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {label}\n{self.log()[-3000:]}")

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        self.wait_for(lambda: text in self.log(), timeout, repr(text))

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def run_intake(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        intake_command(config, *args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def append_many(account: Account, raws: list[bytes], when: dt.datetime) -> None:
    """Many messages over one IMAP connection (Account.append opens one per message)."""
    with account.client() as client:
        for raw in raws:
            client.append("INBOX", raw, msg_time=when)
