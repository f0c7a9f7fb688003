"""Run a message that was quarantined, failed or had no report through intake again.

The raw message comes from the archive, so this works long after the mail left the server,
e.g. once a limit was raised or the extractor was fixed. The message goes through the same
disposition sequence as a polled one, from the top (identity -> duplicate -> automatic -> file):
automatic mail is still not answered, and nothing already registered is redone.
"""

from __future__ import annotations

from casefile.app import App
from casefile.blobstore import ArchiveError
from casefile.db.models import SourceMessage
from casefile.i18n import language
from casefile.register import RegisterError
from casefile.states import RETRYABLE_STATES, MessageState
from intake.mail.outcome import Outcome
from intake.mail.pipeline import Pipeline

# What staff can do with a message that a retry did not register, by its state (sv, en).
_BY_HAND = (
    (
        "nästa steg: spara filerna med casefile mail {id} --save MAPP, registrera dem",
        "med casefile register FIL --from …, eller casefile dismiss {id} --reason …",
    ),
    (
        "next step: save the files with casefile mail {id} --save DIR, register them",
        "with casefile register FILE --from …, or casefile dismiss {id} --reason …",
    ),
)
_NEXT_STEP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    MessageState.QUARANTINED: _BY_HAND,
    MessageState.NO_REPORT: _BY_HAND,
    MessageState.FAILED: (
        (
            "nästa steg: rätta felet ovan och kör intake retry {id} igen; läs brevet med",
            "casefile mail {id}, eller avför det med casefile dismiss {id} --reason …",
        ),
        (
            "next step: fix the error above and run intake retry {id} again; read the mail",
            "with casefile mail {id}, or dismiss it with casefile dismiss {id} --reason …",
        ),
    ),
}


def next_step(source_message_id: int, state: str) -> list[str]:
    """One or two lines saying what staff can do when a retry left the message unregistered
    (quarantined, failed, no report); [] otherwise."""
    texts = _NEXT_STEP.get(state)
    if texts is None:
        return []
    lines = texts[1] if language() == "en" else texts[0]
    return [line.format(id=source_message_id) for line in lines]


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
