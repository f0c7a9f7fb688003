"""`intake status`: the health of the intake, for staff and for monitoring.

Per mailbox: the last successful poll, the last error, messages waiting, failed and
quarantined messages. The outbox by state, with the mail that needs a person. The service:
running or not, and its next scheduled runs (from the state file, see state.py).

The staleness rule (exit status 1, for monitoring): an enabled mailbox whose last successful
poll is older than service.stale_poll_seconds, or that has never been polled successfully.
A poll that fails does not update the last success, so a mailbox that keeps failing becomes
stale after that time too; a single failure in between good polls does not. Exit 1 also while a
login keeps being refused, a job runs far past its interval, or service.max_failed_deliveries
delivery attempts in a row have failed (intake/outgoing/delivery.py).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from casefile.app import App
from casefile.clock import utc_iso
from casefile.config import MailboxSettings, Settings
from casefile.db.engine import read_only
from casefile.db.models import Attachment, MailboxState, OutboxMail, SourceMessage, utcnow
from casefile.states import (
    OUTBOX_PROBLEM_STATES,
    AttachmentState,
    MessageState,
    OutboxState,
)
from intake.service.lock import advisory_held
from intake.service.scheduler import OUTBOX_JOB, poll_job_id
from intake.service.state import read_state, state_path

# Mail a person has to look at (casefile outbox / casefile requeue).
PROBLEM_LIST_LIMIT = 20


def is_stale(last_success: dt.datetime | None, now: dt.datetime, stale_seconds: int) -> bool:
    """The staleness rule: never polled successfully, or not for more than `stale_seconds`."""
    if last_success is None:
        return True
    return (now - last_success).total_seconds() > stale_seconds


def _folder(box: MailboxSettings) -> str:
    return box.path if box.type == "maildir" else box.folder


def _count_by(session: Session, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {str(key): int(n) for key, n in rows}


def _mailbox_report(
    session: Session, settings: Settings, box: MailboxSettings, now: dt.datetime
) -> dict[str, Any]:
    folder = _folder(box)
    state = session.get(MailboxState, (box.name, folder))
    last_success = state.last_success_at if state else None
    error_at = state.last_error_at if state else None
    # The last error is only news when it came after the last good poll.
    current_error = (
        state is not None
        and state.last_error is not None
        and error_at is not None
        and (last_success is None or error_at > last_success)
    )
    by_state = _count_by(
        session,
        SourceMessage.state,
        SourceMessage.mailbox == box.name,
        SourceMessage.folder == folder,
    )
    attachments_quarantined = session.execute(
        select(func.count())
        .select_from(Attachment)
        .join(SourceMessage, SourceMessage.id == Attachment.source_message_id)
        .where(
            SourceMessage.mailbox == box.name,
            SourceMessage.folder == folder,
            Attachment.state == AttachmentState.QUARANTINED,
        )
    ).scalar_one()
    stale = box.enabled and is_stale(last_success, now, settings.service.stale_poll_seconds)
    return {
        "name": box.name,
        "folder": folder,
        "enabled": box.enabled,
        "poll_interval_seconds": box.poll_interval_seconds,
        "last_success_at": utc_iso(last_success),
        "last_error": state.last_error if state else None,
        "last_error_at": utc_iso(error_at),
        "failing": current_error,
        "waiting": state.waiting if state else 0,
        "messages": sum(by_state.values()),
        "failed": by_state.get(MessageState.FAILED, 0),
        "quarantined": by_state.get(MessageState.QUARANTINED, 0),
        "quarantined_attachments": int(attachments_quarantined),
        "stale": stale,
    }


def _outbox_report(session: Session) -> dict[str, Any]:
    counts = _count_by(session, OutboxMail.state)
    oldest = session.execute(
        select(func.min(OutboxMail.created_at)).where(OutboxMail.state == OutboxState.QUEUED)
    ).scalar_one()
    problems = session.execute(
        select(OutboxMail)
        .where(OutboxMail.state.in_(OUTBOX_PROBLEM_STATES))
        .order_by(OutboxMail.id.desc())
        .limit(PROBLEM_LIST_LIMIT)
    ).scalars()
    return {
        "counts": {str(state): counts.get(state, 0) for state in OutboxState},
        "oldest_queued_at": utc_iso(oldest),
        "problems": [
            {
                "id": row.id,
                "kind": row.kind,
                "state": row.state,
                "recipient": row.recipient,
                "subject": row.subject,
                "reason": row.last_error,
            }
            for row in problems
        ],
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _service_report(app: App) -> dict[str, Any]:
    settings = app.settings
    state = read_state(settings) or {}
    running: bool | None
    if make_url(settings.database.url).get_backend_name() == "postgresql":
        # The lock itself says whether a service (or a poll) is at work, on any host.
        running = advisory_held(app)
    elif state.get("running") and state.get("host") == socket.gethostname():
        running = _pid_alive(int(state.get("pid", 0)))
    else:
        running = False if state else None
    jobs = state.get("jobs") or {}
    return {
        "running": running,
        "state_file": str(state_path(settings)),
        "pid": state.get("pid"),
        "host": state.get("host"),
        "started_at": state.get("started_at"),
        "updated_at": state.get("updated_at"),
        "stopped_at": state.get("stopped_at"),
        "next_runs": {
            job_id: job.get("next_run_at")
            for job_id, job in sorted(jobs.items())
            if running and state.get("running")
        },
        "jobs": jobs,
    }


def status_report(app: App, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything `intake status` shows; `healthy` is False when a mailbox is stale."""
    now = now or utcnow()
    settings = app.settings
    # Read-only: on SQLite no write lock, so status never queues behind the service's writes.
    with read_only(app.engine) as conn, Session(bind=conn) as session:
        boxes = [_mailbox_report(session, settings, box, now) for box in settings.mailboxes]
        outbox = _outbox_report(session)
        quarantined_messages = session.execute(
            select(func.count())
            .select_from(SourceMessage)
            .where(SourceMessage.state == MessageState.QUARANTINED)
        ).scalar_one()
        failed_messages = session.execute(
            select(func.count())
            .select_from(SourceMessage)
            .where(SourceMessage.state == MessageState.FAILED)
        ).scalar_one()
    service = _service_report(app)
    for box in boxes:
        box["next_poll_at"] = service["next_runs"].get(poll_job_id(box["name"]))
    stale = [b["name"] for b in boxes if b["stale"]]
    overdue = (
        overdue_jobs(
            service["jobs"], job_intervals(settings), now, settings.service.misfire_grace_seconds
        )
        if service["running"]
        else {}
    )
    from intake.auth.health import login_report
    from intake.outgoing.delivery import delivery_report

    logins = login_report(settings)
    delivery = delivery_report(settings)
    outbox["delivery"] = delivery
    return {
        "generated_at": utc_iso(now),
        # A login that keeps being refused needs a person even before the mailbox goes stale;
        # so does mail that keeps failing to leave.
        "healthy": not stale and not overdue and not logins["failing"] and not delivery["failing"],
        "logins": logins,
        "overdue_jobs": overdue,
        "stale_mailboxes": stale,
        "stale_poll_seconds": settings.service.stale_poll_seconds,
        "mailboxes": boxes,
        "outbox": outbox,
        "quarantined": int(quarantined_messages),
        "failed_messages": int(failed_messages),
        "service": service,
    }


def job_intervals(settings: Settings) -> dict[str, int]:
    """How often each job is meant to run, in seconds (the cron jobs: treated as hourly)."""
    intervals = {
        poll_job_id(box.name): box.poll_interval_seconds
        for box in settings.mailboxes
        if box.enabled
    }
    intervals[OUTBOX_JOB] = settings.service.outbox_interval_seconds
    return intervals


def overdue_jobs(
    jobs: dict[str, Any], intervals: dict[str, int], now: dt.datetime, grace: int
) -> dict[str, int]:
    """Jobs whose current run has lasted far past their interval (pure): id -> seconds running.
    Far past: more than three intervals, and more than the misfire grace time."""
    late: dict[str, int] = {}
    for job_id, job in jobs.items():
        since = (job or {}).get("running_since")
        if not since:
            continue
        running = int((now - dt.datetime.fromisoformat(since)).total_seconds())
        if running > max(3 * intervals.get(job_id, 3600), grace):
            late[job_id] = running
    return late


def _local(value: str | None, settings: Settings) -> str:
    if not value:
        return "–"
    when = dt.datetime.fromisoformat(value).astimezone(settings.registry.zone)
    return when.strftime("%Y-%m-%d %H:%M:%S")


_HEADINGS_EN = {
    "Tjänsten": "Service",
    "Brevlåda": "Mailbox",
    "Utkorg": "Outbox",
    "Nästa körningar": "Next runs",
    "FEL": "ERROR",
}


def render_text(report: dict[str, Any], settings: Settings) -> str:
    """The report as a few Swedish lines for a terminal (English headings under
    CASEFILE_LANG=en)."""
    from casefile.i18n import language

    heading = _HEADINGS_EN if language() == "en" else {}

    def h(word: str) -> str:
        return heading.get(word, word)

    lines: list[str] = []
    service = report["service"]
    if service["running"] is None:
        lines.append(f"{h('Tjänsten')}: har inte körts här (ingen tillståndsfil)")
    elif service["running"]:
        lines.append(
            f"{h('Tjänsten')}: igång sedan {_local(service['started_at'], settings)}"
            + (f" (pid {service['pid']} på {service['host']})" if service.get("pid") else "")
        )
    else:
        lines.append(f"{h('Tjänsten')}: stoppad (senast {_local(service['updated_at'], settings)})")
    for box in report["mailboxes"]:
        head = f"{h('Brevlåda')} {box['name']} ({box['folder']})"
        if not box["enabled"]:
            lines.append(f"{head}: avstängd")
            continue
        lines.append(
            f"{head}: senast hämtad {_local(box['last_success_at'], settings)}"
            + (", FÖR LÄNGE SEDAN" if box["stale"] else "")
            + f"; nästa {_local(box['next_poll_at'], settings)}"
        )
        if box["failing"]:
            lines.append(
                f"  senaste fel {_local(box['last_error_at'], settings)}: {box['last_error']}"
            )
        lines.append(
            f"  väntar: {box['waiting']}, misslyckade: {box['failed']}, "
            f"i karantän: {box['quarantined']} (bilagor: {box['quarantined_attachments']})"
        )
    counts = report["outbox"]["counts"]
    lines.append(
        f"{h('Utkorg')}: {counts['queued']} i kö, {counts['sending']} skickas, "
        f"{counts['sent']} skickade, {counts['failed']} misslyckade, {counts['uncertain']} osäkra, "
        f"{counts['suppressed']} stoppade"
    )
    delivery = report["outbox"].get("delivery") or {}
    if delivery.get("failures_in_a_row"):
        n = delivery["failures_in_a_row"]
        lines.append(
            (f"{h('FEL')}: " if delivery["failing"] else "  ")
            + f"leveransen har misslyckats {n} {'gång' if n == 1 else 'gånger'} i rad sedan "
            f"{_local(delivery['since'], settings)}; senaste fel "
            f"{_local(delivery['last_error_at'], settings)}: {delivery['last_error']}"
        )
    for mail in report["outbox"]["problems"]:
        lines.append(
            f"  brev {mail['id']} ({mail['kind']}, {mail['state']}) till {mail['recipient']}: "
            f"{mail['reason'] or ''}".rstrip()
        )
    if service["next_runs"]:
        runs = ", ".join(
            f"{job} {_local(at, settings)}" for job, at in service["next_runs"].items() if at
        )
        lines.append(f"{h('Nästa körningar')}: {runs}")
    for job, seconds in report.get("overdue_jobs", {}).items():
        lines.append(
            f"{h('FEL')}: jobbet {job} har pågått i {seconds} s, långt över sitt intervall"
        )
    if report.get("logins"):
        from intake.auth.health import render_lines

        lines.extend(render_lines(report["logins"]))
    if report["stale_mailboxes"]:
        lines.append(
            f"{h('FEL')}: ingen lyckad hämtning på mer än "
            f"{report['stale_poll_seconds']} s: {', '.join(report['stale_mailboxes'])}"
        )
    return "\n".join(lines)
