"""Run a message that was quarantined, failed or had no report through intake again.

The raw message comes from the archive, so this works long after the mail left the server,
e.g. once a limit was raised or the extractor was fixed. The message goes through the same
disposition sequence as a polled one, from the top (identity -> duplicate -> automatic -> file):
automatic mail is still not answered, and nothing already registered is redone.
"""

from __future__ import annotations

from casefile.app import App
from casefile.archive import ArchiveError
from casefile.db.models import SourceMessage
from casefile.register import RegisterError
from casefile.states import RETRYABLE_STATES
from intake.mail.pipeline import Outcome, Pipeline


def retry_message(app: App, source_message_id: int) -> Outcome:
    with app.sessions() as s:
        msg = s.get(SourceMessage, source_message_id)
        if msg is None:
            raise RegisterError(f"det finns ingen post {source_message_id}")
        if msg.state not in RETRYABLE_STATES:
            raise RegisterError(f"post {source_message_id} är {msg.state}; inget att försöka igen")
        if not msg.raw_sha256 or msg.size == 0:
            raise RegisterError(f"post {source_message_id} finns inte i arkivet ({msg.reason})")
        digest = msg.raw_sha256
    try:
        raw = app.archive.get(digest)
    except (OSError, ArchiveError) as exc:
        raise RegisterError(f"post {source_message_id} kan inte läsas ur arkivet: {exc}") from None
    pipeline = Pipeline(app)
    try:
        return pipeline.retry(source_message_id, raw)
    except Exception as exc:
        # As in a poll, a message that breaks the pipeline is said in one line; it stays as it
        # was (the transaction rolled back) and can be retried once the cause is fixed.
        detail = " ".join(str(exc).split())[:300]
        raise RegisterError(
            f"post {source_message_id} kunde inte köras igen: {type(exc).__name__}: {detail}"
        ) from None
    finally:
        pipeline.close()
