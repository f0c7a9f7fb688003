"""IMAP with OAuth2 against a real Dovecot (oauth2 passdb: local JWT check and introspection)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from casefile.app import App
from intake.cli import cli
from intake.mail.poll import poll_all, poll_mailbox
from intake.sources.imap import ImapSource
from tests.auth.conftest import credential, oauth_box, start_dovecot
from tests.intake.conftest import build_app
from tests.support.dovecot import DovecotServer, OAuth2Passdb
from tests.support.mail import REPORTS, message
from tests.support.oauth2 import ISSUER, TokenStub, hs256_key_file_content
from tests.support.toml import write_config

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()


def report() -> bytes:
    return bytes(message(attachments=[("slutrapport.docx", DOCX)]))


def numbers(app: App) -> list[str]:
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT diarienummer FROM documents ORDER BY id"))
        return [r[0] for r in rows]


def stored_uids(app: App) -> list[int]:
    with app.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT uid FROM messages ORDER BY uid"))]


def test_five_polls_within_a_tokens_life_make_one_token_request(
    db_url: str, tmp_path: Path, stub: TokenStub, dovecot_jwt: DovecotServer
) -> None:
    """Given a mailbox on OAuth2 (Dovecot checks the JWT), when polled five times,
    then one token was fetched and the report registered once."""
    account = dovecot_jwt.add_account()
    account.append(report(), WHEN)
    app = build_app(
        db_url,
        tmp_path,
        oauth_box(dovecot_jwt, account.username, "kontakt", "m365"),
        oauth2={"m365": credential(stub, account.username)},
    )
    before = stub.requests
    for _ in range(5):
        result = poll_mailbox(app, app.settings.mailboxes[0])
        assert result.ok, result.error
    assert stub.requests - before == 1
    assert numbers(app) == ["SFG 26-01.01"]
    (flags,) = account.flags().values()
    assert b"$CasefileProcessed" in flags


def test_a_token_that_expires_between_polls_is_renewed(
    db_url: str, tmp_path: Path, stub: TokenStub, dovecot_jwt: DovecotServer
) -> None:
    """Given 2-second tokens, when mail arrives after the token expired, then the next poll
    fetches a new token and registers that mail once."""
    account = dovecot_jwt.add_account()
    app = build_app(
        db_url,
        tmp_path,
        oauth_box(dovecot_jwt, account.username, "kontakt", "m365"),
        oauth2={"m365": credential(stub, account.username)},
    )
    old, stub.lifetime = stub.lifetime, 2
    try:
        before = stub.requests
        assert poll_mailbox(app, app.settings.mailboxes[0]).ok
        time.sleep(2.2)
        account.append(report(), WHEN)
        result = poll_mailbox(app, app.settings.mailboxes[0])
        assert result.ok, result.error
        assert stub.requests - before == 2
        assert poll_mailbox(app, app.settings.mailboxes[0]).ok
    finally:
        stub.lifetime = old
    assert numbers(app) == ["SFG 26-01.01"]


def test_a_rejected_token_is_renewed_once_and_the_poll_succeeds(
    db_url: str, tmp_path: Path, stub: TokenStub, dovecot_introspect: DovecotServer
) -> None:
    """Given a token the server stops accepting (revoked), when polled, then a new token is
    fetched once, the login succeeds and nothing is registered twice."""
    account = dovecot_introspect.add_account()
    account.append(report(), WHEN)
    app = build_app(
        db_url,
        tmp_path,
        oauth_box(dovecot_introspect, account.username, "kontakt", "m365"),
        oauth2={"m365": credential(stub, account.username)},
    )
    assert poll_mailbox(app, app.settings.mailboxes[0]).ok
    stub.revoke_all()
    account.append(report(), WHEN)
    before = stub.requests
    result = poll_mailbox(app, app.settings.mailboxes[0])
    assert result.ok, result.error
    assert stub.requests - before == 1
    assert poll_mailbox(app, app.settings.mailboxes[0]).ok
    assert numbers(app) == ["SFG 26-01.01"]  # the second copy of the same report is linked
    assert stored_uids(app) == [1, 2]  # both messages taken, each once


def test_bad_secret_gives_one_line_while_the_other_mailbox_is_polled(
    db_url: str,
    tmp_path: Path,
    stub: TokenStub,
    dovecot_jwt: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given two mailboxes, one with a wrong client secret, when polled, then that one fails
    with a line naming the client secret and the other registers its report."""
    good, bad = dovecot_jwt.add_account(), dovecot_jwt.add_account()
    good.append(report(), WHEN)
    bad_cred = credential(stub, bad.username)
    monkeypatch.setenv(str(bad_cred["client_secret_env"]), "expired-secret")
    app = build_app(
        db_url,
        tmp_path,
        oauth_box(dovecot_jwt, bad.username, "ekonomi", "bad"),
        oauth_box(dovecot_jwt, good.username, "kontakt", "good"),
        oauth2={"good": credential(stub, good.username), "bad": bad_cred},
    )
    results = {r.mailbox: r for r in poll_all(app)}
    assert results["kontakt"].ok
    assert not results["ekonomi"].ok
    error = results["ekonomi"].error or ""
    assert "klienthemligheten" in error and str(bad_cred["client_secret_env"]) in error
    assert "\n" not in error and "expired-secret" not in error
    assert numbers(app) == ["SFG 26-01.01"]


def test_a_mailbox_not_granted_says_which_permission_and_backs_off(
    db_url: str, tmp_path: Path, stub: TokenStub, dovecot_introspect: DovecotServer
) -> None:
    """Given an app whose token is not for this mailbox, when polled, then one line names the
    mailbox permission steps after two tries; the next poll waits instead of trying again."""
    account = dovecot_introspect.add_account()
    app = build_app(
        db_url,
        tmp_path,
        oauth_box(dovecot_introspect, account.username, "kontakt", "m365"),
        oauth2={"m365": credential(stub, "someone-else")},
    )
    before = stub.requests
    result = poll_mailbox(app, app.settings.mailboxes[0])
    assert not result.ok
    error = result.error or ""
    assert "token hämtades men IMAP-inloggningen" in error
    assert "Add-MailboxPermission" in error and "New-ServicePrincipal" in error
    assert stub.requests - before == 2  # the first token, and one renewal
    again = poll_mailbox(app, app.settings.mailboxes[0])
    assert not again.ok and "nästa försök" in (again.error or "")
    assert stub.requests - before == 2  # the server was not asked again


def test_password_login_to_an_oauth2_only_server_says_to_switch(
    db_url: str, tmp_path: Path, dovecot_introspect: DovecotServer
) -> None:
    """Given a server that takes only OAuth2, when a password login is refused, then the line
    says to switch to auth = "oauth2"."""
    account = dovecot_introspect.add_account()
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    result = poll_mailbox(app, app.settings.mailboxes[0])
    assert not result.ok
    assert 'byt till auth = "oauth2"' in (result.error or "")


def test_token_text_never_appears_in_logs_output_state_or_database(
    db_url: str,
    tmp_path: Path,
    stub: TokenStub,
    dovecot_jwt: DovecotServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Given `intake poll --once --json` with OAuth2 (debug logging, one mailbox refused),
    then no token and no secret is in the output, the logs, the files or the database."""
    good, bad = dovecot_jwt.add_account(), dovecot_jwt.add_account()
    good.append(report(), WHEN)
    good_cred = credential(stub, good.username)
    config = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "smtp": {"transport": "folder", "folder": str(tmp_path / "outbox")},
            "service": {"lock_path": str(tmp_path / "casefile.lock"), "log_level": "DEBUG"},
            "mailboxes": [
                oauth_box(dovecot_jwt, good.username, "kontakt", "good"),
                oauth_box(dovecot_jwt, bad.username, "ekonomi", "bad"),
            ],
            "oauth2": {"good": good_cred, "bad": credential(stub, "not-" + bad.username)},
        },
    )
    App(build_app(db_url, tmp_path).settings).engine.dispose()
    caplog.set_level(logging.DEBUG)
    before = len(stub.issued)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--trace", "poll", "--once", "--json"]
    )
    assert result.exit_code == 1, result.output  # ekonomi was refused
    issued = stub.issued[before:]
    assert issued, "no token was fetched"
    secret = os.environ[str(good_cred["client_secret_env"])]
    app = App.from_config(str(config))
    with app.engine.connect() as conn:
        dump = " ".join(
            repr(row)
            for table in inspect(conn).get_table_names()
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    app.engine.dispose()
    files = " ".join(
        p.read_text(errors="replace")
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix in (".json", ".toml", ".lock", ".log", "")
    )
    assert numbers_in(dump)
    for needle in [*issued, secret]:
        for haystack in (result.output, caplog.text, dump, files):
            assert needle not in haystack
            assert needle[-40:] not in haystack


def numbers_in(dump: str) -> bool:
    return "SFG 26-01.01" in dump


def test_oauthbearer_when_that_is_what_the_server_offers(
    db_url: str, tmp_path: Path, stub: TokenStub
) -> None:
    """Given a server offering only OAUTHBEARER (RFC 7628), then the login uses it."""
    server, root = start_dovecot(
        OAuth2Passdb(ISSUER, hs256_key_file_content(stub), mechanisms="oauthbearer")
    )
    try:
        account = server.add_account()
        account.append(report(), WHEN)
        box = oauth_box(server, account.username, "kontakt", "m365")
        app = build_app(db_url, tmp_path, box, oauth2={"m365": credential(stub, account.username)})
        source = ImapSource.for_settings(app.settings, app.settings.mailboxes[0])
        source.open()
        assert source.mechanism == "OAUTHBEARER"
        source.close()
        assert poll_mailbox(app, app.settings.mailboxes[0]).ok
        assert numbers(app) == ["SFG 26-01.01"]
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
