"""Polling: every configured mailbox, each on its own, one failure never stopping the others."""

from __future__ import annotations

import errno
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from casefile.app import App
from casefile.config import MailboxSettings
from casefile.db.models import MailboxState, SourceMessage, utcnow
from casefile.events import log_event
from casefile.faults import checkpoint
from casefile.states import MessageState
from intake.mail.outcome import Outcome
from intake.mail.pipeline import POISON_ATTEMPTS, Pipeline
from intake.mail.records import Identity
from intake.sources.base import FetchedMessage, LoginRefused, MailSource, SourceError

log = logging.getLogger("intake")

CONNECT_ATTEMPTS = 3
BACKOFF_SECONDS = 1.0


@dataclass
class PollResult:
    mailbox: str
    ok: bool = True
    error: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    # New messages left on the server for the next poll (a stop request came first).
    waiting: int = 0


class StorageFull(Exception):
    """The archive's file system is full: this mailbox's pass stops on purpose."""


def _storage_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def make_source(app: App, box: MailboxSettings) -> MailSource:
    if box.type == "maildir":
        from intake.sources.maildir import MaildirSource

        def known() -> set[int]:
            with app.sessions() as s:
                return set(
                    s.scalars(
                        select(SourceMessage.uid).where(
                            SourceMessage.mailbox == box.name, SourceMessage.folder == box.path
                        )
                    )
                )

        return MaildirSource(box, known)
    if box.type == "graph":
        from intake.sources.graph import GraphSource

        return GraphSource.for_settings(
            app.settings,
            box,
            lambda: _known(app, box.name, box.folder),
            lambda: _sync_state(app, box),
            lambda link: _save_sync_state(app, box, link),
            checkpoint,
        )
    from intake.auth.backoff import for_settings
    from intake.sources.imap import ImapSource

    return ImapSource.for_settings(app.settings, box, for_settings(app.settings))


def _known(app: App, mailbox: str, folder: str) -> set[int]:
    with app.sessions() as s:
        return set(
            s.scalars(
                select(SourceMessage.uid).where(
                    SourceMessage.mailbox == mailbox, SourceMessage.folder == folder
                )
            )
        )


def _sync_state(app: App, box: MailboxSettings) -> str | None:
    """A Graph folder's delta link, kept from the last complete pass."""
    with app.sessions() as s:
        state = s.get(MailboxState, (box.name, box.folder))
        return state.sync_state if state is not None else None


def _save_sync_state(app: App, box: MailboxSettings, link: str) -> None:
    with app.sessions() as s, s.begin():
        state = s.get(MailboxState, (box.name, box.folder))
        if state is None:
            state = MailboxState(mailbox=box.name, folder=box.folder, last_uid=0)
            s.add(state)
        state.sync_state = link


def _marks(box: MailboxSettings) -> bool:
    """Whether processed messages are marked on the server (Graph: moved or given a category;
    never a keyword)."""
    if box.type == "imap":
        return bool(box.processed_keyword or box.processed_folder)
    return box.type == "graph" and bool(box.processed_folder or box.processed_category)


def _open_with_backoff(source: MailSource, sleep: Callable[[float], None]) -> None:
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            source.open()
            return
        except LoginRefused:
            # A refused login will not improve by retrying.
            raise
        except SourceError:
            if attempt == CONNECT_ATTEMPTS - 1:
                raise
            sleep(BACKOFF_SECONDS * 2**attempt)


def _state(app: App, box: MailboxSettings, folder: str) -> MailboxState:
    with app.sessions() as s, s.begin():
        state = s.get(MailboxState, (box.name, folder))
        if state is None:
            state = MailboxState(mailbox=box.name, folder=folder, last_uid=0)
            s.add(state)
        return state


def _note_health(
    app: App, box: MailboxSettings, folder: str, error: str | None, waiting: int = 0
) -> None:
    with app.sessions() as s, s.begin():
        if s.get_bind().dialect.name == "postgresql":
            # A health note is no record: losing the last one in a crash costs nothing, so its
            # commit need not wait for the WAL flush (most of an unchanged poll's own time).
            s.execute(text("SET LOCAL synchronous_commit TO OFF"))
        state = s.get(MailboxState, (box.name, folder))
        if state is None:
            state = MailboxState(mailbox=box.name, folder=folder, last_uid=0)
            s.add(state)
        if error is None:
            state.last_success_at = utcnow()
            state.waiting = waiting
        else:
            state.last_error, state.last_error_at = error, utcnow()


def _unmarked(app: App, ident: Identity) -> list[int]:
    with app.sessions() as s:
        return list(
            s.scalars(
                select(SourceMessage.uid).where(
                    SourceMessage.mailbox == ident.mailbox,
                    SourceMessage.folder == ident.folder,
                    SourceMessage.uidvalidity == ident.uidvalidity,
                    SourceMessage.marked_on_server.is_(False),
                    SourceMessage.state != MessageState.FAILED,
                )
            )
        )


def _set_marked(app: App, ident: Identity, uids: list[int]) -> None:
    with app.sessions() as s, s.begin():
        for msg in s.scalars(
            select(SourceMessage).where(
                SourceMessage.mailbox == ident.mailbox,
                SourceMessage.folder == ident.folder,
                SourceMessage.uidvalidity == ident.uidvalidity,
                SourceMessage.uid.in_(uids),
            )
        ):
            msg.marked_on_server = True


def poll_mailbox(
    app: App,
    box: MailboxSettings,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> PollResult:
    result = PollResult(box.name)
    folder = box.path if box.type == "maildir" else box.folder
    try:
        source = make_source(app, box)
        _open_with_backoff(source, sleep)
    except Exception as exc:  # SourceError, ConfigError (missing secret), ...
        result.ok, result.error = False, str(exc)
        log.error("%s", exc)
        _note_health(app, box, folder, str(exc))
        return result
    try:
        _poll_open(app, box, source, folder, result, should_stop)
    except (SourceError, StorageFull) as exc:
        result.ok, result.error = False, str(exc)
        log.error("%s", exc)
    finally:
        source.close()
    try:
        _note_health(app, box, folder, result.error, waiting=result.waiting)
    except SQLAlchemyError as exc:
        log.error("brevlåda %s: kunde inte spara hämtningens utfall: %s", box.name, exc)
    return result


def _poll_open(
    app: App,
    box: MailboxSettings,
    source: MailSource,
    folder: str,
    result: PollResult,
    should_stop: Callable[[], bool],
) -> None:
    is_imap = box.type == "imap"
    ident = Identity(box.name, folder, source.uidvalidity, watermark=is_imap)
    state = _state(app, box, folder)
    if is_imap and state.uidvalidity != ident.uidvalidity:
        _reset_watermark(app, box, folder, state.uidvalidity, ident.uidvalidity)
        state.last_uid = 0
    # Messages registered before a crash but not yet marked on the server.
    if _marks(box):
        leftover = _unmarked(app, ident)
        if leftover:
            source.mark_processed(leftover)
            _set_marked(app, ident, leftover)
    if source.unchanged_since(state.last_uid):
        _listing_done(source)
        return
    envelopes = source.envelopes(state.last_uid)
    pipeline = Pipeline(app)
    limit = app.settings.limits.max_message_bytes
    wanted = []
    for env in envelopes:
        if env.size > limit:
            error = _too_big(env.size, limit)
            placeholder = FetchedMessage(env.uid, b"", env.internal_date)
            try:
                result.outcomes.append(pipeline.record_failure(ident, placeholder, error))
            except OSError as exc:
                if not _storage_full(exc):
                    raise
                pipeline.close()
                raise _full(box, env.uid, exc) from None
        else:
            wanted.append(env.uid)
    try:
        _handle_all(app, box, source, ident, pipeline, wanted, result, should_stop)
    finally:
        pipeline.close()
    if not result.waiting:
        _listing_done(source)


def _listing_done(source: MailSource) -> None:
    """Graph: the delta link moves on only after everything listed was handled and marked."""
    done = getattr(source, "listing_done", None)
    if done is not None:
        done()


def _handle_all(
    app: App,
    box: MailboxSettings,
    source: MailSource,
    ident: Identity,
    pipeline: Pipeline,
    wanted: list[int],
    result: PollResult,
    should_stop: Callable[[], bool],
) -> None:
    pending: list[int] = []
    wanted_set = set(wanted)
    for fetched in source.fetch(wanted):
        try:
            if fetched.too_big:
                limit = app.settings.limits.max_message_bytes
                outcome = pipeline.record_failure(ident, fetched, _too_big(fetched.too_big, limit))
            elif pipeline.begin_attempt(ident, fetched.uid) >= POISON_ATTEMPTS:
                # It killed the process (memory, a parser) every time: put it aside, go on.
                outcome = pipeline.record_failure(
                    ident,
                    fetched,
                    f"meddelandet stoppade intaget {POISON_ATTEMPTS} gånger (processen dog); "
                    "det lades åt sidan",
                )
            else:
                outcome = pipeline.handle(ident, fetched)
        except Exception as exc:
            if _storage_full(exc):
                # Nothing after it fits either: stop this mailbox's pass and say so once. The
                # process did not die on this message: it is no poison.
                pipeline.forget_attempt(ident, fetched.uid)
                _mark(app, box, source, ident, pending)
                raise _full(box, fetched.uid, exc) from None
            # Shunt: the message is kept and listed for staff; the next one goes on.
            error = f"{type(exc).__name__}: {exc}"
            log.error(
                "brevlåda %s uid %s: %s\n%s", box.name, fetched.uid, error, traceback.format_exc()
            )
            try:
                outcome = pipeline.record_failure(ident, fetched, error)
            except OSError as again:
                if not _storage_full(again):
                    raise
                pipeline.forget_attempt(ident, fetched.uid)
                _mark(app, box, source, ident, pending)
                raise _full(box, fetched.uid, again) from None
        result.outcomes.append(outcome)
        log.info(
            "brevlåda=%s uid=%s utfall=%s diarienummer=%s",
            box.name,
            outcome.uid,
            outcome.state,
            ",".join(outcome.numbers) or "-",
        )
        if outcome.state != MessageState.FAILED:
            pending.append(outcome.uid)
        if len(pending) >= box.batch_size:
            _mark(app, box, source, ident, pending)
            pending = []
        if should_stop():
            result.waiting = len(wanted) - sum(1 for o in result.outcomes if o.uid in wanted_set)
            break
    _mark(app, box, source, ident, pending)


def _too_big(size: int, limit: int) -> str:
    return f"meddelandet är för stort ({size} byte, gräns {limit})"


def _full(box: MailboxSettings, uid: int, exc: BaseException) -> StorageFull:
    return StorageFull(
        f"brevlåda {box.name}: arkivet är fullt ({getattr(exc, 'strerror', exc)}) vid uid {uid}; "
        "hämtningen stoppades, inget gick förlorat: frigör utrymme så fortsätter nästa hämtning"
    )


def _mark(
    app: App, box: MailboxSettings, source: MailSource, ident: Identity, uids: list[int]
) -> None:
    if not uids or not _marks(box):
        return
    source.mark_processed(uids)
    checkpoint("after_mark")
    _set_marked(app, ident, uids)


def _reset_watermark(
    app: App, box: MailboxSettings, folder: str, old: int | None, new: int
) -> None:
    with app.sessions() as s, s.begin():
        state = s.get(MailboxState, (box.name, folder))
        assert state is not None
        state.uidvalidity, state.last_uid = new, 0
        if old is not None:
            log.warning(
                "brevlåda %s: UIDVALIDITY ändrad %s -> %s; läser om mappen", box.name, old, new
            )
            log_event(
                s,
                app.settings.registry.bot_actor,
                "uidvalidity_changed",
                mailbox=box.name,
                folder=folder,
                old=old,
                new=new,
            )


def poll_all(app: App, should_stop: Callable[[], bool] = lambda: False) -> list[PollResult]:
    return [poll_mailbox(app, box, should_stop) for box in app.settings.mailboxes if box.enabled]
