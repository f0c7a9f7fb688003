"""Service fixtures: Dovecot (shared with the intake tests) and an aiosmtpd server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.intake.conftest import account, build_app, dovecot  # noqa: F401
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
