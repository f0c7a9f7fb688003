"""The service's life: start the scheduler, run jobs, stop gracefully on a signal.

Stopping: the first SIGTERM/SIGINT sets a flag that the poll loop checks between messages, so
the message in hand is finished and committed; no new job starts; the scheduler is shut down
from a helper thread (never from inside the signal handler, which may interrupt the scheduler
while it holds its own locks). The main thread then waits up to service.stop_timeout_seconds
for running jobs. A second signal ends the process at once: every unit of work is one database
transaction, so an interrupted one is rolled back and done again on the next start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    EVENT_SCHEDULER_STARTED,
    SchedulerEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler

from casefile.app import App
from casefile.db.models import utcnow
from intake.service import jobs
from intake.service.lock import InstanceLock, LockLost
from intake.service.scheduler import (
    OUTBOX_JOB,
    JobSpec,
    build_scheduler,
    job_specs,
    next_runs,
)
from intake.service.state import StateFile, state_path

log = logging.getLogger("intake.service")
summary = logging.getLogger("intake.service.summary")

JOB_EVENTS = (
    EVENT_JOB_SUBMITTED
    | EVENT_JOB_EXECUTED
    | EVENT_JOB_ERROR
    | EVENT_JOB_MISSED
    | EVENT_JOB_MAX_INSTANCES
)


class StopTimeout(Exception):
    """Jobs were still running when the stop timeout ran out."""


class Service:
    def __init__(
        self,
        app: App,
        *,
        cycles: int | None = None,
        duration: float | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.app = app
        self.lock: InstanceLock | None = None
        self.cycles = cycles
        self.duration = duration
        self.clock = clock
        self.stop_requested = threading.Event()
        self.exit_code = 0
        self.state = StateFile(state_path(app.settings))
        self.polls: Counter[str] = Counter()
        self._stop_at: float | None = None
        self._started = threading.Event()
        self._idle = threading.Condition()
        self._running = 0
        self._scheduler: BaseScheduler | None = None
        # IMAP IDLE (idle.py): mailboxes whose poll is running, and those to poll again after.
        self._polling: set[str] = set()
        self._poll_again: set[str] = set()
        self._stop_after_outbox = False
        # Why the last run ended: the database lock was lost (an outage), or a signal came.
        self.lock_lost = False
        self.signalled = False

    # -- stopping -------------------------------------------------------------------------

    def request_stop(self, reason: str, exit_code: int = 0) -> None:
        self.exit_code = self.exit_code or exit_code
        if self.stop_requested.is_set():
            return
        self._stop_at = time.monotonic()
        summary.info("stoppar: %s", reason)
        self.stop_requested.set()

    def handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.signalled = True
        if self.stop_requested.is_set() and not self.lock_lost:
            log.warning(
                "%s igen: avslutar direkt (det som inte hann sparas görs om vid start)", name
            )
            os._exit(128 + signum)
        self.request_stop(f"{name} mottagen; gör klart meddelandet som hanteras")

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.handle_signal)
        signal.signal(signal.SIGINT, self.handle_signal)

    def _stopper(self) -> None:
        self.stop_requested.wait()
        self._started.wait()
        if self._scheduler is not None:
            with contextlib.suppress(SchedulerNotRunningError):
                self._scheduler.shutdown(wait=False)

    # -- jobs -----------------------------------------------------------------------------

    def _dispatch(self, spec: JobSpec) -> str | None:
        should_stop = self.stop_requested.is_set
        if spec.kind == "poll":
            assert spec.mailbox is not None
            # Never poll without the lock: if its connection broke, another process may poll.
            if self.lock is not None:
                self.lock.check()
            return jobs.poll(self.app, spec.mailbox, should_stop)
        if spec.kind == "outbox":
            return jobs.flush(self.app, self.stop_requested)
        if spec.kind == "reminders":
            return jobs.reminders(self.app, self.stop_requested)
        return jobs.digest(self.app, self.stop_requested)

    def run_job(self, spec: JobSpec) -> None:
        """The function the scheduler calls: never raises, so the next run comes as planned."""
        with self._idle:
            if self.stop_requested.is_set():
                return
            self._running += 1
            if spec.kind == "poll" and spec.mailbox is not None:
                self._polling.add(spec.mailbox)
        error: str | None = None
        try:
            try:
                self.state.begun(spec.id, self.clock())
            except OSError as exc:
                log.warning("kunde inte skriva tillståndsfilen %s: %s", self.state.path, exc)
            error = self._dispatch(spec)
        except LockLost as exc:
            error = str(exc)
            log.error("%s", exc)
            self.lock_lost = True
            # Exit 1 when run alone; run_reconnecting waits for the database instead.
            self.request_stop("databaslåset förlorades", exit_code=1)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.exception("jobbet %s misslyckades: %s", spec.id, error)
        finally:
            try:
                self.state.ran(spec.id, error, self.clock())
            except OSError as exc:
                log.warning("kunde inte skriva tillståndsfilen %s: %s", self.state.path, exc)
            with self._idle:
                self._running -= 1
                self._idle.notify_all()
        if spec.kind == "poll" and spec.mailbox is not None:
            # Counted before the outbox run starts, so a quick outbox run still sees the
            # stop-after-outbox flag that --cycles sets.
            self._count_cycle(spec.mailbox)
            self._send_soon()
            with self._idle:
                self._polling.discard(spec.mailbox)
                again = spec.mailbox in self._poll_again
                self._poll_again.discard(spec.mailbox)
            if again:
                self.wake_poll(spec.mailbox)
        elif spec.kind == "outbox" and self._stop_after_outbox:
            self.request_stop(f"{self.cycles} hämtningsvarv klara (--cycles)")

    def wake_poll(self, mailbox: str) -> None:
        """IDLE saw new mail: run the mailbox's poll now (or right after the one running)."""
        if self.stop_requested.is_set() or self._scheduler is None:
            return
        with self._idle:
            if mailbox in self._polling:
                self._poll_again.add(mailbox)
                return
        from intake.service.scheduler import poll_job_id

        with contextlib.suppress(Exception):  # the scheduler may be shutting down
            self._scheduler.modify_job(poll_job_id(mailbox), next_run_time=self.clock())

    def _send_soon(self) -> None:
        """Run the outbox job now, in its own thread: acknowledgements leave at once, and a
        slow SMTP server delays only the outbox, never the next poll."""
        scheduler = self._scheduler
        if scheduler is None or self.stop_requested.is_set():
            return
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            scheduler.modify_job(OUTBOX_JOB, next_run_time=self.clock())

    def _count_cycle(self, mailbox: str) -> None:
        self.polls[mailbox] += 1
        if self.cycles is None:
            return
        names = [b.name for b in self.app.settings.mailboxes if b.enabled]
        if all(self.polls[n] >= self.cycles for n in names):
            # Stop once the outbox run started by this poll has sent what it registered.
            self._stop_after_outbox = True

    def _on_job_event(self, event: SchedulerEvent) -> None:
        if self.stop_requested.is_set() or self._scheduler is None:
            return
        # In Swedish here, instead of APScheduler's own English warnings (silenced in serve).
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("%s pågår fortfarande; körningen som stod på tur hoppas över", event.job_id)
        elif event.code == EVENT_JOB_MISSED:
            log.warning(
                "%s kom inte i gång i tid (mer än %d s sent) och hoppas över",
                event.job_id,
                self.app.settings.service.misfire_grace_seconds,
            )
        try:
            self.state.schedule(next_runs(self._scheduler), self.clock())
        except OSError as exc:
            log.warning("kunde inte skriva tillståndsfilen %s: %s", self.state.path, exc)

    def _on_started(self, event: SchedulerEvent) -> None:
        self._started.set()
        self._on_job_event(event)

    def reset(self) -> None:
        """Ready to run again after the database lock was lost (see run_reconnecting)."""
        self.lock_lost = False
        self.stop_requested.clear()
        self._stop_at = None
        self._started.clear()
        self._scheduler = None
        self.exit_code = 0

    # -- the whole life -------------------------------------------------------------------

    def start_timer(self) -> None:
        """--for: stop after `duration` seconds, counted from now (lock wait included)."""
        if self.duration is None:
            return
        timer = threading.Timer(
            self.duration, self.request_stop, args=(f"{self.duration:g} s har gått (--for)",)
        )
        timer.daemon = True
        timer.start()

    def run(self, lock: InstanceLock) -> int:
        """Run until stopped, holding `lock` (taken by the caller). Returns the exit status."""
        self.lock = lock
        settings = self.app.settings
        jobs.recover(self.app)
        specs = job_specs(settings, self.clock())
        scheduler = build_scheduler(settings, specs, self.run_job)
        scheduler.add_listener(self._on_job_event, JOB_EVENTS)
        scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        self._scheduler = scheduler
        threading.Thread(target=self._stopper, name="stopper", daemon=True).start()
        polled = [s.mailbox for s in specs if s.kind == "poll"]
        if self.cycles is not None and not polled:
            self.request_stop("inga aktiva brevlådor att hämta från (--cycles)")
        self.state.started(self.clock())
        summary.info(
            "intake serve startar (%s): brevlådor %s; utkorgen var %d s",
            lock.description,
            ", ".join(
                f"{b.name} var {b.poll_interval_seconds} s" for b in settings.mailboxes if b.enabled
            )
            or "inga",
            settings.service.outbox_interval_seconds,
        )
        self._start_idle()
        if not self.stop_requested.is_set():
            scheduler.start()
        self._wait_for_jobs()
        self.state.stopped(self.clock())
        polls = sum(self.polls.values())
        summary.info(
            "intake serve har stannat efter %d %s",
            polls,
            "hämtning" if polls == 1 else "hämtningar",
        )
        return self.exit_code

    def _start_idle(self) -> None:
        from intake.auth.backoff import for_settings
        from intake.service.idle import IdleWatcher, wants_idle

        settings = self.app.settings
        # A restart is the operator's way to say "try the logins again now".
        logins = for_settings(settings)
        for key in list(logins.read()):
            logins.succeeded(key)
        for box in settings.mailboxes:
            if wants_idle(box):
                IdleWatcher(
                    self.app,
                    box,
                    self.wake_poll,
                    self.stop_requested,
                    renew_seconds=settings.service.idle_renew_seconds,
                ).start()

    def _wait_for_jobs(self) -> None:
        timeout = self.app.settings.service.stop_timeout_seconds
        begun = self._stop_at if self._stop_at is not None else time.monotonic()
        with self._idle:
            done = self._idle.wait_for(
                lambda: self._running == 0, timeout=max(0.0, begun + timeout - time.monotonic())
            )
        if not done:
            log.error("jobb pågick fortfarande efter %d s; avslutar ändå", timeout)
            self.state.stopped(self.clock())
            raise StopTimeout


class DatabaseWait:
    """Backoff while the database cannot be reached: 1 s doubling to 30 s, said once a minute."""

    FIRST_SECONDS = 1.0
    MAX_SECONDS = 30.0
    SAY_EVERY_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.delay = self.FIRST_SECONDS
        self.down_since: float | None = None
        self._said_at: float | None = None

    def failed(self, error: str) -> float:
        """Note a failed attempt; returns how long to wait before the next."""
        now = self.clock()
        if self.down_since is None:
            self.down_since = now
        if self._said_at is None or now - self._said_at >= self.SAY_EVERY_SECONDS:
            self._said_at = now
            log.error(
                "kan inte nå databasen (%s); försöker igen, i högst %g s mellan försöken",
                error,
                self.MAX_SECONDS,
            )
        delay, self.delay = self.delay, min(self.delay * 2, self.MAX_SECONDS)
        return delay

    def recovered(self) -> None:
        if self.down_since is not None:
            log.warning(
                "databasen svarar igen efter %d s; tjänsten fortsätter",
                self.clock() - self.down_since,
            )
        self.delay, self.down_since, self._said_at = self.FIRST_SECONDS, None, None


def run_reconnecting(
    service: Service,
    take_lock: Callable[[], contextlib.AbstractContextManager[InstanceLock]],
) -> int:
    """Run the service; when the database goes away (at start or later), wait and reconnect
    with backoff instead of exiting, until a signal or --for/--cycles says stop."""
    from sqlalchemy.exc import OperationalError

    waiting = DatabaseWait()
    while True:
        try:
            with take_lock() as lock:
                waiting.recovered()
                code = service.run(lock)
            if not service.lock_lost or service.signalled:
                return code
            error = "förbindelsen som höll låset bröts"
        except OperationalError as exc:
            error = str(exc.orig or exc).strip().splitlines()[0][:200]
        if service.signalled or (service.stop_requested.is_set() and not service.lock_lost):
            return service.exit_code
        service.reset()
        # A signal during the wait ends it at once (stop_requested is set by the handler).
        if service.stop_requested.wait(waiting.failed(error)):
            return service.exit_code
