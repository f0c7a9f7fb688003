"""Intake fixtures: one Dovecot for the session, a fresh account and app per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casefile.app import App
from casefile.db.migrate import upgrade
from tests.conftest import make_settings
from tests.support.dovecot import Account, DovecotServer, running_dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    yield from running_dovecot()


@pytest.fixture
def account(dovecot: DovecotServer) -> Account:
    return dovecot.add_account()


def build_app(
    db_url: str, tmp_path: Path, *boxes: dict[str, object], **sections: dict[str, object]
) -> App:
    settings = make_settings(db_url, tmp_path, mailboxes=list(boxes), **sections)  # type: ignore[arg-type]
    app = App(settings)
    upgrade(app.engine)
    return app


@pytest.fixture
def intake_app(db_url: str, tmp_path: Path, account: Account) -> Iterator[App]:
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    yield app
    app.engine.dispose()
