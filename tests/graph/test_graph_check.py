"""`intake check` on a Graph mailbox and sendMail: one line per check, what to do on failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casefile.app import App
from intake.check import run_checks
from tests.graph.conftest import SECRET_ENV, USER, graph_box, graph_sections
from tests.intake.conftest import build_app
from tests.support.graph_server import GraphStub, GraphTokenStub
from tests.support.smtp import CA_FILE


def graph_lines(app: App) -> dict[str, tuple[bool, str]]:
    return {
        c.name: (c.ok, c.detail)
        for c in run_checks(app, "casefile.toml")
        if c.name.startswith("brevlåda kontakt")
    }


@pytest.fixture
def roles(tokens: GraphTokenStub) -> Iterator[GraphTokenStub]:
    yield tokens
    tokens.graph_roles = ("Mail.ReadWrite", "Mail.Send")


def test_check_passes_token_permission_and_folders(graph_app: App, graph: GraphStub) -> None:
    lines = graph_lines(graph_app)
    assert lines["brevlåda kontakt: token"][0]
    assert lines["brevlåda kontakt: behörighet"] == (True, "Mail.ReadWrite finns i token")
    assert lines["brevlåda kontakt: mapp"] == (True, "Inbox finns i kontakt@finsam.test")
    ok, detail = lines["brevlåda kontakt: mapp för hanterad post"]
    assert ok and "skapas när första meddelandet flyttas" in detail


def test_check_names_the_access_policy_when_the_mailbox_is_refused(
    graph_app: App, graph: GraphStub
) -> None:
    graph.user = "someone.else@finsam.test"
    ok, detail = graph_lines(graph_app)["brevlåda kontakt: mapp"]
    assert not ok and "403 ErrorAccessDenied" in detail
    assert "New-ApplicationAccessPolicy" in detail and "\n" not in detail


def test_check_says_which_role_is_missing(
    graph_app: App, graph: GraphStub, roles: GraphTokenStub
) -> None:
    roles.graph_roles = ("Mail.Send",)
    ok, detail = graph_lines(graph_app)["brevlåda kontakt: behörighet"]
    assert not ok and detail.startswith("Mail.ReadWrite saknas i token")
    assert "administratörsmedgivande" in detail


def test_sendmail_is_not_tried_but_its_role_is_read_from_the_token(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    roles: GraphTokenStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    smtp: dict[str, object] = {
        "transport": "graph",
        "oauth2": "graph",
        "username": USER,
        "graph_url": graph.url,
        "ca_file": str(CA_FILE),
    }
    app = build_app(db_url, tmp_path, graph_box(graph), smtp=smtp, **graph_sections(tokens, graph))
    try:
        lines = {c.name: (c.ok, c.detail) for c in run_checks(app, "casefile.toml")}
        assert lines["SMTP: behörighet"] == (True, "Mail.Send finns i token")
        assert lines["SMTP: sendMail"][0] and "provas inte" in lines["SMTP: sendMail"][1]
        roles.graph_roles = ("Mail.ReadWrite",)
        lines = {c.name: (c.ok, c.detail) for c in run_checks(app, "casefile.toml")}
        ok, detail = lines["SMTP: behörighet"]
        assert not ok and detail.startswith("Mail.Send saknas i token")
        assert "SMTP: sendMail" not in lines and not graph.sent
    finally:
        app.engine.dispose()


def test_check_warns_when_the_app_reads_a_mailbox_beyond_the_configured_one(
    graph_app: App, graph: GraphStub
) -> None:
    """Given the app may list the tenant's users and no access policy scopes it (another
    user's Inbox answers), when checked, then one warning names that mailbox and the PowerShell
    command that scopes the app; scoped (403), the check passes; without User.Read.All it says
    it could not try."""
    graph.directory = ["styrelsen@finsam.test", "anna.ek@finsam.test"]
    graph.users_readable = True
    graph.open_mailboxes = {"anna.ek@finsam.test"}
    checks = {c.name: c for c in run_checks(graph_app, "casefile.toml")}
    scope = checks["brevlåda kontakt: andra brevlådor"]
    assert scope.status == "warning" and "\n" not in scope.line()
    assert scope.detail.startswith("appen kan läsa anna.ek@finsam.test också")
    assert "New-ApplicationAccessPolicy -AppId graph-app" in scope.detail
    graph.open_mailboxes = set()
    ok, detail = graph_lines(graph_app)["brevlåda kontakt: andra brevlådor"]
    assert ok and detail == (
        "nekas som sig bör (prövat med styrelsen@finsam.test, anna.ek@finsam.test)"
    )
    graph.users_readable = False
    ok, detail = graph_lines(graph_app)["brevlåda kontakt: andra brevlådor"]
    assert (
        ok and detail.startswith("kunde inte prövas") and "Test-ApplicationAccessPolicy" in detail
    )


def test_check_says_what_to_do_for_a_missing_folder_and_a_wrong_secret(
    db_url: str,
    tmp_path: Path,
    tokens: GraphTokenStub,
    graph: GraphStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a folder the mailbox lacks, the folder line names the key to change; given a
    wrong client secret, the token line fails in one line and no Graph request is made."""
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    box = graph_box(graph, folder="Ingående")
    app = build_app(db_url, tmp_path, box, **graph_sections(tokens, graph))
    try:
        ok, detail = graph_lines(app)["brevlåda kontakt: mapp"]
        assert not ok and detail == "Ingående finns inte; ändra mailboxes[kontakt].folder"
        monkeypatch.setenv(SECRET_ENV, "fel")
        before = len(graph.requests)
        lines = graph_lines(app)
        ok, detail = lines["brevlåda kontakt: token"]
        assert not ok and "\n" not in detail and "AADSTS" in detail, detail
        assert "brevlåda kontakt: mapp" not in lines and len(graph.requests) == before
    finally:
        app.engine.dispose()
