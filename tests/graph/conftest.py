"""Graph fixtures: the loopback token endpoint (Graph scope), a loopback Graph, an app whose
mailbox (and, where asked, [smtp]) goes through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casefile.app import App
from intake.auth.tokens import CACHE
from tests.intake.conftest import build_app
from tests.support.graph_server import (
    CLIENT_ID,
    SECRET_ENV,
    USER,
    GraphStub,
    GraphTokenStub,
    graph_box,
    graph_sections,
)
from tests.support.oauth2 import Client

# The tests import these from here.
__all__ = ["SECRET_ENV", "USER", "graph_box", "graph_sections"]


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture(scope="session")
def tokens() -> Iterator[GraphTokenStub]:
    server = GraphTokenStub()
    server.clients[CLIENT_ID] = Client(secret="s3cret", mailbox=USER)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def graph(tokens: GraphTokenStub) -> Iterator[GraphStub]:
    server = GraphStub(validate=tokens.valid_email, user=USER)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def graph_app(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    app = build_app(db_url, tmp_path, graph_box(graph), **graph_sections(tokens, graph))
    yield app
    app.engine.dispose()


@pytest.fixture(autouse=True)
def distinct_reports() -> Iterator[None]:
    """Each test starts its reports from the first file again."""
    from tests.graph import test_graph_poll

    test_graph_poll._used.clear()
    yield
