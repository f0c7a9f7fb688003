"""What each scheduled job does. Each returns an error line for the state file, or None.

Jobs never raise for an expected failure (a mailbox that cannot be reached, an SMTP server that
is down): those are logged and recorded, and the next run comes as planned. An unexpected
exception is caught by the runner, with the same result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from casefile import clock
from casefile.app import App
from casefile.config import MailboxSettings

if TYPE_CHECKING:
    from intake.mail.outcome import Outcome

log = logging.getLogger("intake.service")
# What the service did, in a few lines (shown at log level WARNING too: intake/commands/service.py).
summary = logging.getLogger("intake.service.summary")


def _mailbox(app: App, name: str) -> MailboxSettings:
    for box in app.settings.mailboxes:
        if box.name == name:
            return box
    raise KeyError(name)


def flush(app: App, stop: threading.Event | None = None) -> str | None:
    """Send until nothing is due (within `mail.max_per_minute`), or until `stop` is set."""
    from intake.outgoing import flush_outbox

    result = flush_outbox(app.sessions, app.settings, stop=stop)
    if result.sent or result.retried or result.failed or result.uncertain:
        summary.info(
            "utkorg: %d skickade, %d försöker igen senare, %d misslyckade, %d osäkra",
            result.sent,
            result.retried,
            result.failed,
            result.uncertain,
        )
    if result.retried or result.failed or result.uncertain:
        return (
            f"utkorgen: {result.retried} försöker igen senare, {result.failed} misslyckade, "
            f"{result.uncertain} osäkra"
        )
    return None


def poll(app: App, mailbox: str, should_stop: Callable[[], bool]) -> str | None:
    """One poll of one mailbox. Sending is the outbox job's (the runner starts it right after a
    poll that registered something), so a slow SMTP server never holds up intake."""
    from intake.mail.poll import poll_mailbox

    result = poll_mailbox(app, _mailbox(app, mailbox), should_stop=should_stop)
    if result.outcomes or result.waiting:
        summary.info("%s", poll_summary(mailbox, result.outcomes, result.waiting))
    return result.error


# Diarienummer named in a poll's summary line (the per-message lines carry every one).
SUMMARY_NUMBERS = 10


def poll_summary(mailbox: str, outcomes: Sequence[Outcome], waiting: int = 0) -> str:
    """One line for a poll that found mail: how many, their outcomes, the numbers given."""
    from collections import Counter

    from casefile.states import MessageState, label_of

    n = len(outcomes)
    line = f"brevlåda {mailbox}: {n} {'nytt meddelande' if n == 1 else 'nya meddelanden'}"
    states = Counter(o.state for o in outcomes)
    if states:
        line += "; utfall: " + ", ".join(
            f"{label_of(MessageState, state, swedish=True)} {count}"
            for state, count in sorted(states.items())
        )
    numbers = [number for o in outcomes for number in o.numbers]
    if numbers:
        shown = ", ".join(numbers[:SUMMARY_NUMBERS])
        line += f"; diarienummer {shown}" + (" …" if len(numbers) > SUMMARY_NUMBERS else "")
    if waiting:
        line += f"; {waiting} väntar till nästa hämtning"
    return line


def reminders(app: App, stop: threading.Event | None = None) -> str | None:
    from intake.outgoing import queue_reminders

    today = clock.today(app.settings.registry.zone)
    with app.sessions() as session, session.begin():
        rows = queue_reminders(session, app.settings, today)
    if rows:
        summary.info("bevakning: %d påminnelser lagda i utkorgen", len(rows))
    return flush(app, stop)


def digest(app: App, stop: threading.Event | None = None) -> str | None:
    from intake.outgoing import queue_digest

    today = clock.today(app.settings.registry.zone)
    with app.sessions() as session, session.begin():
        row = queue_digest(session, app.settings, today)
    if row is not None:
        summary.info("sammanställning för %s lagd i utkorgen", today.isoformat())
    return flush(app, stop)


def recover(app: App) -> int:
    """Outbox rows a killed process left in "sending" become "uncertain" (under the lock)."""
    from intake.outgoing import recover_interrupted

    with app.sessions() as session, session.begin():
        count = recover_interrupted(session)
    if count:
        log.warning(
            "%d utgående brev avbröts under sändning förra gången och är markerade som osäkra "
            "(se casefile outbox)",
            count,
        )
    return count
