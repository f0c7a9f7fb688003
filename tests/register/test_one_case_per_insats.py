"""One case per insats, also when registrations of the same insats run at the same moment.

Matching reads the open cases and then maybe opens one; two registrations of one title at once
must not both open a case. On PostgreSQL an advisory lock serialises them, on SQLite BEGIN
IMMEDIATE. The first test is deterministic: the second registration starts while the first
transaction is still open, so without the serialisation it cannot see the first case and opens
its own (checked by removing the advisory lock: it fails on every run).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from casefile.app import App
from casefile.db.models import Case, Document
from casefile.register import register_document
from tests.register.factories import new_report

TITLE = "Gemensam insats"


def _blocked_or_done(app: App, done: threading.Event, timeout: float = 15.0) -> None:
    """Wait until the second registration has either finished or waits on a lock."""
    if app.engine.dialect.name != "postgresql":
        done.wait(0.5)  # SQLite: time for the second writer to reach its busy wait
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done.is_set():
        with app.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.05)


def _cases(app: App, title: str) -> list[str]:
    with app.sessions() as s:
        return list(s.scalars(select(Case.number).where(Case.title == title)))


def test_a_second_registration_during_the_first_files_into_the_same_case(app: App) -> None:
    """Given a registration of an insats whose transaction is still open, when a second one of
    the same insats runs meanwhile, then after both commit there is one case with both."""
    first = app.sessions()
    first.begin()
    register_document(first, app.settings, new_report(title=TITLE))
    done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with app.sessions() as s, s.begin():
                register_document(s, app.settings, new_report(title=TITLE))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=second)
    worker.start()
    _blocked_or_done(app, done)
    first.commit()
    first.close()
    worker.join(30)

    assert not worker.is_alive() and errors == []
    assert _cases(app, TITLE) == ["SFG 26-01"]
    with app.sessions() as s:
        numbers = sorted(s.scalars(select(Document.diarienummer)))
    assert numbers == ["SFG 26-01.01", "SFG 26-01.02"]


WORKERS = 4
ROUNDS = 8


def test_workers_in_lockstep_on_one_title_each_round_open_one_case(app: App) -> None:
    """Given four workers that start each round together (a barrier) on that round's title,
    then every title has exactly one case and every document is in it."""
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for round_ in range(ROUNDS):
                barrier.wait(30)
                with app.sessions() as s, s.begin():
                    register_document(s, app.settings, new_report(title=f"{TITLE} {round_}"))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    with app.sessions() as s:
        rows = s.execute(select(Case.title, func.count()).group_by(Case.title)).all()
        per_title = {str(title): int(count) for title, count in rows}
        documents = s.scalar(select(func.count()).select_from(Document))
    assert per_title == {f"{TITLE} {r}": 1 for r in range(ROUNDS)}
    assert documents == WORKERS * ROUNDS
