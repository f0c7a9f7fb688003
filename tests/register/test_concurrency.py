"""Several processes registering at once get distinct, gapless numbers."""

from __future__ import annotations

import multiprocessing as mp
import random
from collections import defaultdict

from sqlalchemy import select

from casefile.app import App
from casefile.config import settings_from_json
from casefile.db.models import Case, Document

PROCESSES = 4
PER_PROCESS = 50


def _worker(settings_json: str, seed: int, barrier: object) -> list[str]:
    from casefile.register import register_document
    from tests.register.factories import new_report

    settings = settings_from_json(settings_json)
    app = App(settings)
    rng = random.Random(seed)
    barrier.wait()  # type: ignore[attr-defined]
    numbers = []
    for i in range(PER_PROCESS):
        # Half go into a few shared insatser (same case), half open cases of their own.
        title = f"Delad insats {rng.randint(1, 3)}" if rng.random() < 0.5 else f"Egen {seed}-{i}"
        with app.sessions() as s, s.begin():
            numbers.append(register_document(s, settings, new_report(title=title)).diarienummer)
    app.engine.dispose()
    return numbers


def test_four_processes_fifty_each(app: App) -> None:
    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    barrier = manager.Barrier(PROCESSES)
    payload = app.settings.to_json()
    with ctx.Pool(PROCESSES) as pool:
        results = pool.starmap(_worker, [(payload, seed, barrier) for seed in range(PROCESSES)])
    numbers = [n for chunk in results for n in chunk]
    assert len(numbers) == PROCESSES * PER_PROCESS
    assert len(set(numbers)) == len(numbers)

    with app.sessions() as s:
        serials: dict[int, list[int]] = defaultdict(list)
        for case_id, serial in s.execute(select(Document.case_id, Document.serial)):
            serials[case_id].append(serial)
        case_serials = sorted(s.scalars(select(Case.serial)))
        shared = s.scalars(select(Case.id).where(Case.title.like("Delad%"))).all()
    for docs in serials.values():
        assert sorted(docs) == list(range(1, len(docs) + 1))
    assert case_serials == list(range(1, len(case_serials) + 1))
    assert len(shared) == 3
