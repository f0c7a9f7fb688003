"""Run a message that was quarantined, failed or had no report through intake again.

The raw message comes from the archive, so this works long after the mail left the server,
e.g. once a limit was raised or the extractor was fixed. Nothing already registered is redone.
"""

from __future__ import annotations

from casefile.app import App
from casefile.db.models import SourceMessage
from casefile.events import log_event
from casefile.register import RegisterError
from casefile.states import RETRYABLE_STATES
from intake.mail.mime import parse_message
from intake.mail.pipeline import Outcome, Pipeline


def retry_message(app: App, message_id: int) -> Outcome:
    with app.sessions() as s:
        msg = s.get(SourceMessage, message_id)
        if msg is None:
            raise RegisterError(f"det finns ingen post {message_id}")
        if msg.state not in RETRYABLE_STATES:
            raise RegisterError(f"post {message_id} är {msg.state}; inget att försöka igen")
        if not msg.raw_sha256 or msg.size == 0:
            raise RegisterError(f"post {message_id} finns inte i arkivet ({msg.reason})")
        digest = msg.raw_sha256
    raw = app.archive.get(digest)
    parsed = parse_message(raw)
    pipeline = Pipeline(app)
    try:
        candidates = pipeline.examine_all(parsed)
    finally:
        pipeline.close()
    for cand in candidates:
        app.archive.put(cand.file.data)
    with app.sessions() as s, s.begin():
        msg = s.get(SourceMessage, message_id, with_for_update=True)
        assert msg is not None
        if msg.state not in RETRYABLE_STATES:  # someone else retried meanwhile
            return Outcome(msg.uid, msg.state, [], msg.reason, msg.id)
        outcome = pipeline.file_reports(s, msg, parsed, candidates, msg.internal_date)
        log_event(
            s, app.settings.registry.bot_actor, "message_retried", message=msg, state=outcome.state
        )
        return outcome
