"""The service's schedule: which jobs run when (pure), and the APScheduler that runs them.

APScheduler 3.x defaults drop a run that is more than one second late (misfire_grace_time=1);
we set a real grace time from the configuration. Every job has a fixed id, coalesces missed
runs into one and never runs twice at once (max_instances=1): a slow IMAP server delays the
next poll of that mailbox, it does not stack polls up. Jobs live in the memory job store: they
are defined from the configuration at every start, so nothing needs to be pickled or shared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from casefile.config import ConfigError, Settings

JobKind = Literal["poll", "outbox", "reminders", "digest"]

OUTBOX_JOB = "outbox"
REMINDERS_JOB = "reminders"
DIGEST_JOB = "digest"


def poll_job_id(mailbox: str) -> str:
    return f"poll:{mailbox}"


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job. `first_run` is when it first runs (None: when its trigger says)."""

    id: str
    kind: JobKind
    trigger: BaseTrigger
    mailbox: str | None = None
    first_run: dt.datetime | None = None


def _cron(settings: Settings, key: str, expression: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expression, timezone=settings.registry.zone)
    except ValueError as exc:
        raise ConfigError.at(f"reminders.{key}", "cron", expression=expression, error=exc) from None


def job_specs(settings: Settings, now: dt.datetime) -> list[JobSpec]:
    """The jobs for these settings; `now` is when the service starts (aware)."""
    zone = settings.registry.zone
    specs = [
        JobSpec(
            id=poll_job_id(box.name),
            kind="poll",
            trigger=IntervalTrigger(seconds=box.poll_interval_seconds, timezone=zone),
            mailbox=box.name,
            # Poll at once on start: mail that came while the service was down waits no longer.
            first_run=now,
        )
        for box in settings.mailboxes
        if box.enabled
    ]
    specs.append(
        JobSpec(
            id=OUTBOX_JOB,
            kind="outbox",
            trigger=IntervalTrigger(
                seconds=settings.service.outbox_interval_seconds, timezone=zone
            ),
        )
    )
    rules = settings.reminders
    specs.append(
        JobSpec(REMINDERS_JOB, "reminders", _cron(settings, "reminders_cron", rules.reminders_cron))
    )
    specs.append(JobSpec(DIGEST_JOB, "digest", _cron(settings, "digest_cron", rules.digest_cron)))
    return specs


def build_scheduler(
    settings: Settings,
    specs: list[JobSpec],
    run: Callable[[JobSpec], None],
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
) -> BaseScheduler:
    """A scheduler (the service's BlockingScheduler) with one job per spec, calling `run(spec)`.

    `scheduler_class` lets tests inspect the jobs in a BackgroundScheduler without blocking.
    """
    scheduler: BaseScheduler = scheduler_class(
        timezone=settings.registry.zone,
        # One thread per job at most: every job has max_instances=1.
        executors={"default": ThreadPoolExecutor(max_workers=max(len(specs), 1))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.service.misfire_grace_seconds,
        },
    )
    for spec in specs:
        extra = {"next_run_time": spec.first_run} if spec.first_run is not None else {}
        scheduler.add_job(
            run,
            trigger=spec.trigger,
            args=[spec],
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            **extra,
        )
    return scheduler


def next_runs(scheduler: BaseScheduler) -> dict[str, dt.datetime | None]:
    return {job.id: job.next_run_time for job in scheduler.get_jobs()}
