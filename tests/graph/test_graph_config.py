"""Configuration of Graph mailboxes and sendMail: an OAuth2 credential with the Graph scope,
a mailbox, and https (plain http to loopback only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casefile.config import GRAPH_SCOPE, GRAPH_URL, ConfigError, Settings
from tests.conftest import make_settings

CRED = {
    "provider": "microsoft",
    "tenant": "forbund.onmicrosoft.com",
    "client_id": "app",
    "client_secret_env": "X",
    "scope": GRAPH_SCOPE,
}
BOX = {"name": "kontakt", "type": "graph", "oauth2": "graph", "username": "kontakt@forbund.se"}


def settings(tmp_path: Path, box: dict[str, Any], cred: dict[str, Any] = CRED) -> Settings:
    return make_settings("sqlite://", tmp_path, mailboxes=[box], oauth2={"graph": cred})  # type: ignore[arg-type]


def problem(tmp_path: Path, box: dict[str, Any], cred: dict[str, Any] = CRED) -> str:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, box, cred)
    return str(caught.value)


def test_a_graph_mailbox_defaults_to_microsofts_graph_url(tmp_path: Path) -> None:
    (box,) = settings(tmp_path, BOX).mailboxes
    assert (box.type, box.graph_url, box.folder) == ("graph", GRAPH_URL, "INBOX")


def test_the_credential_must_ask_for_the_graph_scope(tmp_path: Path) -> None:
    line = problem(tmp_path, BOX, {**CRED, "scope": "https://outlook.office365.com/.default"})
    assert "oauth2.graph.scope" in line and GRAPH_SCOPE in line


def test_a_graph_mailbox_needs_a_credential_and_a_mailbox(tmp_path: Path) -> None:
    assert "mailboxes[kontakt].oauth2" in problem(tmp_path, {**BOX, "oauth2": ""})
    assert "mailboxes[kontakt].username" in problem(tmp_path, {**BOX, "username": ""})


def test_plain_http_is_refused_except_to_loopback(tmp_path: Path) -> None:
    line = problem(tmp_path, {**BOX, "graph_url": "http://graph.example/v1.0"})
    assert "mailboxes[kontakt].graph_url" in line
    (box,) = settings(tmp_path, {**BOX, "graph_url": "http://127.0.0.1:8080/v1.0"}).mailboxes
    assert box.graph_url.startswith("http://127.0.0.1")


def test_sendmail_transport_is_validated_the_same_way(tmp_path: Path) -> None:
    smtp: dict[str, object] = {"transport": "graph", "oauth2": "graph", "username": ""}
    with pytest.raises(ConfigError) as caught:
        make_settings("sqlite://", tmp_path, smtp=smtp, oauth2={"graph": CRED})
    assert "smtp.username" in str(caught.value)
