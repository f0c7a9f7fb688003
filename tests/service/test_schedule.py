"""The schedule: fixed job ids, real misfire grace, coalescing, cron times in Swedish time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from casefile.config import ConfigError, Settings
from intake.service.scheduler import build_scheduler, job_specs
from tests.conftest import make_settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC)  # a Saturday


def settings(tmp_path: Path, **sections: dict[str, object]) -> Settings:
    boxes = [
        {"name": "kontakt", "host": "imap.test", "poll_interval_seconds": 30},
        {"name": "rapporter", "host": "imap.test"},
        {"name": "gammal", "host": "imap.test", "enabled": False},
    ]
    return make_settings("sqlite:///unused.db", tmp_path, mailboxes=boxes, **sections)  # type: ignore[arg-type]


def test_one_poll_job_per_enabled_mailbox_and_the_fixed_jobs(tmp_path: Path) -> None:
    specs = job_specs(settings(tmp_path), NOW)
    assert [s.id for s in specs] == [
        "poll:kontakt",
        "poll:rapporter",
        "outbox",
        "reminders",
        "digest",
    ]
    kontakt, rapporter = specs[0], specs[1]
    assert kontakt.trigger.interval == dt.timedelta(seconds=30)
    assert rapporter.trigger.interval == dt.timedelta(minutes=2)  # the default
    assert kontakt.first_run == NOW  # mail that came while the service was down: at once
    assert specs[2].trigger.interval == dt.timedelta(seconds=60)
    assert specs[2].first_run is None


def test_cron_jobs_run_in_the_registry_time_zone(tmp_path: Path) -> None:
    specs = {s.id: s for s in job_specs(settings(tmp_path), NOW)}
    reminders = specs["reminders"].trigger.get_next_fire_time(None, NOW)
    digest = specs["digest"].trigger.get_next_fire_time(None, NOW)
    # Monday 9 March, 08:00 and 07:00 in Stockholm (UTC+1 in winter).
    assert reminders == dt.datetime(2026, 3, 9, 8, 0, tzinfo=STOCKHOLM)
    assert reminders.astimezone(dt.UTC).hour == 7
    assert digest == dt.datetime(2026, 3, 9, 7, 0, tzinfo=STOCKHOLM)
    summer = dt.datetime(2026, 6, 12, 12, 0, tzinfo=dt.UTC)  # a Friday in summer time
    after = specs["reminders"].trigger.get_next_fire_time(None, summer)
    assert after.astimezone(dt.UTC) == dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC)


def test_a_bad_cron_expression_is_a_one_line_config_error(tmp_path: Path) -> None:
    bad = settings(tmp_path, reminders={"digest_cron": "varje morgon"})
    with pytest.raises(ConfigError, match=r"^reminders\.digest_cron: 'varje morgon' är inget"):
        job_specs(bad, NOW)


def test_scheduler_jobs_coalesce_never_overlap_and_have_a_real_grace_time(
    tmp_path: Path,
) -> None:
    current = settings(tmp_path, service={"misfire_grace_seconds": 90})
    now = dt.datetime.now(dt.UTC)
    specs = job_specs(current, now)
    scheduler = build_scheduler(current, specs, lambda spec: None, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {s.id for s in specs}
        for job in jobs.values():
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time == 90
            assert job.args[0].id == job.id
        assert jobs["poll:kontakt"].next_run_time == now
        assert jobs["outbox"].next_run_time > now
    finally:
        scheduler.shutdown(wait=False)
