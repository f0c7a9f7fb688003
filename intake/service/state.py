"""The service's state file: what `intake status` shows about the scheduler.

A small JSON file next to `service.lock_path` (`casefile.lock` -> `casefile.state.json`):
who runs the service, since when, and per job its next and last run. It is a file rather than a
table because it is written every few seconds by one process and read only by `intake status`
on the same host; the register's health data that matters across hosts (last good poll, last
error per mailbox) is in the database (`mailbox_state`).

Written atomically (temporary file, then rename), so a reader never sees half a document.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from casefile.atomic import write_atomic
from casefile.clock import utc_iso
from casefile.config import Settings


def state_path(settings: Settings) -> Path:
    lock = Path(settings.service.lock_path)
    return lock.with_name(f"{lock.stem}.state.json")


@dataclass
class JobState:
    next_run_at: str | None = None
    last_run_at: str | None = None
    last_ok: bool | None = None
    last_error: str | None = None
    # When the run in progress began (None when the job is not running): status flags a job
    # that has run far longer than its interval.
    running_since: str | None = None


@dataclass
class ServiceState:
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    started_at: str | None = None
    updated_at: str | None = None
    stopped_at: str | None = None
    running: bool = False
    jobs: dict[str, JobState] = field(default_factory=dict)


class StateFile:
    """The running service's view of its jobs, written on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = ServiceState()
        self._lock = threading.Lock()

    def started(self, now: dt.datetime) -> None:
        with self._lock:
            self.state.started_at = utc_iso(now)
            self.state.running = True
            self._write(now)

    def stopped(self, now: dt.datetime) -> None:
        with self._lock:
            self.state.running = False
            self.state.stopped_at = utc_iso(now)
            for job in self.state.jobs.values():
                job.next_run_at = None
            self._write(now)

    def schedule(self, next_runs: dict[str, dt.datetime | None], now: dt.datetime) -> None:
        with self._lock:
            # A job event handled while the service stopped may come after `stopped`: a stopped
            # service plans nothing, so its plan is not written back.
            if not self.state.running:
                return
            for job_id, when in next_runs.items():
                self.state.jobs.setdefault(job_id, JobState()).next_run_at = utc_iso(when)
            self._write(now)

    def begun(self, job_id: str, now: dt.datetime) -> None:
        with self._lock:
            self.state.jobs.setdefault(job_id, JobState()).running_since = utc_iso(now)
            self._write(now)

    def ran(self, job_id: str, error: str | None, now: dt.datetime) -> None:
        with self._lock:
            job = self.state.jobs.setdefault(job_id, JobState())
            job.running_since = None
            job.last_run_at = utc_iso(now)
            job.last_ok = error is None
            job.last_error = error
            self._write(now)

    def _write(self, now: dt.datetime) -> None:
        self.state.updated_at = utc_iso(now)
        data = json.dumps(asdict(self.state), ensure_ascii=False, indent=1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, data.encode(), mode=0o644)


def read_state(settings: Settings) -> dict[str, Any] | None:
    """The last state the service wrote, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(state_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
