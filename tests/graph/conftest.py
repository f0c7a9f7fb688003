"""Graph fixtures: the loopback token endpoint (Graph scope), a loopback Graph, an app whose
mailbox (and, where asked, [smtp]) goes through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from casefile.app import App
from casefile.config import GRAPH_SCOPE
from intake.auth.tokens import CACHE
from tests.intake.conftest import build_app
from tests.support.graph_server import GraphStub
from tests.support.oauth2 import SCOPE, Client, TokenStub
from tests.support.smtp import CA_FILE

USER = "kontakt@finsam.test"
SECRET_ENV = "CASEFILE_TEST_GRAPH_SECRET"


class GraphTokenStub(TokenStub):
    """The stub's Microsoft endpoint, taking the Graph scope as it takes Exchange's; its tokens
    carry the application roles in `graph_roles` (Graph's `roles` claim)."""

    graph_roles: tuple[str, ...] = ("Mail.ReadWrite", "Mail.Send")

    def mint(self, email: str, lifetime: int | None = None) -> str:
        token = super().mint(email, lifetime)
        claims = jwt.decode(token, self.key, algorithms=["HS256"], options={"verify_aud": False})
        claims["roles"] = list(self.graph_roles)
        again = jwt.encode(claims, self.key, algorithm="HS256")
        with self.lock:
            self.issued.append(again)
        return again

    def _microsoft(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("scope") == GRAPH_SCOPE:
            form = {**form, "scope": SCOPE}
        return super()._microsoft(form)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture(scope="session")
def tokens() -> Iterator[GraphTokenStub]:
    server = GraphTokenStub()
    server.clients["graph-app"] = Client(secret="s3cret", mailbox=USER)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def graph(tokens: GraphTokenStub) -> Iterator[GraphStub]:
    server = GraphStub(validate=tokens.valid_email, user=USER)
    server.start()
    yield server
    server.stop()


def graph_sections(tokens: TokenStub, graph: GraphStub) -> dict[str, Any]:
    return {
        "oauth2": {
            "graph": {
                "provider": "microsoft",
                "tenant": tokens.tenant,
                "token_url": tokens.microsoft_url,
                "client_id": "graph-app",
                "client_secret_env": SECRET_ENV,
                "scope": GRAPH_SCOPE,
            }
        }
    }


def graph_box(graph: GraphStub, **extra: object) -> dict[str, object]:
    return {
        "name": "kontakt",
        "type": "graph",
        "oauth2": "graph",
        "username": USER,
        "folder": "Inbox",
        "processed_folder": "Diarieförda",
        "graph_url": graph.url,
        "ca_file": str(CA_FILE),
        **extra,
    }


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
