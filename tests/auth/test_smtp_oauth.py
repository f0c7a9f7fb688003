"""SMTP AUTH XOAUTH2 against aiosmtpd with realistic (3 KB) tokens."""

from __future__ import annotations

import os
from pathlib import Path

from casefile.app import App
from intake.auth.health import login_report
from intake.outgoing import flush_outbox
from tests.auth.conftest import credential
from tests.outgoing.conftest import build_app, outbox, register
from tests.support.oauth2 import TokenStub, google_service_account
from tests.support.smtp import OAuthHandler, PasswordGoneHandler, SmtpServer

MAILBOX = "kontakt@finsam.test"


def smtp_app(db_url: str, tmp_path: Path, server: SmtpServer, cred: dict[str, object]) -> App:
    return build_app(
        db_url,
        tmp_path,
        smtp=server.smtp_settings(auth="oauth2", oauth2="m365", username=MAILBOX),
        oauth2={"m365": cred},
    )


def test_xoauth2_with_a_3kb_token_sends(
    db_url: str, tmp_path: Path, stub: TokenStub, oauth_smtp: SmtpServer
) -> None:
    """Given SMTP with OAuth2, when the outbox is flushed, then the mail is sent after one AUTH."""
    app = smtp_app(db_url, tmp_path, oauth_smtp, credential(stub, MAILBOX))
    register(app)
    before = stub.requests
    result = flush_outbox(app.sessions, app.settings)
    assert result.sent == 1, outbox(app)[0].last_error
    assert len(oauth_smtp.messages) == 1
    handler = oauth_smtp.handler
    assert isinstance(handler, OAuthHandler)
    assert handler.auth_exchanges == 1
    assert min(handler.token_lengths) > 2800
    # And the next flush (a new connection) logs in with the same token, fetched once
    register(app, title="Nästa", organisation="Annan")
    assert flush_outbox(app.sessions, app.settings).sent == 1
    assert (handler.auth_exchanges, stub.requests - before) == (2, 1)


def test_a_refused_token_leaves_the_mail_queued_after_two_auth_exchanges(
    db_url: str, tmp_path: Path, stub: TokenStub, oauth_smtp: SmtpServer
) -> None:
    """Given a token not valid for the sending mailbox, when flushed, then AUTH is tried with a
    renewed token once, the acknowledgement stays queued, and the error names the permission."""
    app = smtp_app(db_url, tmp_path, oauth_smtp, credential(stub, "annan@finsam.test"))
    register(app)
    before = stub.requests
    result = flush_outbox(app.sessions, app.settings)
    assert (result.sent, result.retried) == (0, 1)
    handler = oauth_smtp.handler
    assert isinstance(handler, OAuthHandler)
    assert handler.auth_exchanges == 2
    # The refused token was not offered again: a new one was fetched for the second AUTH
    assert stub.requests - before == 2
    [row] = outbox(app)
    assert row.state == "queued"
    assert row.last_error == (
        f"token hämtades men SMTP-inloggningen som {MAILBOX} nekades: kontrollera "
        "1) behörigheten SMTP.SendAsApp (Office 365 Exchange Online, application) med "
        "administratörsmedgivande, 2) New-ServicePrincipal med Enterprise-applikationens "
        f"object id, 3) Add-MailboxPermission -Identity {MAILBOX} -User <tjänstens id> "
        f"-AccessRights FullAccess, 4) Set-CASMailbox {MAILBOX} "
        "-SmtpClientAuthenticationDisabled $false (535)"
    )
    assert not oauth_smtp.messages
    # The refusal is remembered: status shows SMTP failing, and the next flush waits.
    [failing] = login_report(app.settings)["failing"]
    assert failing["login"] == "SMTP" and "SMTP.SendAsApp" in failing["error"]
    register(app, title="Nästa", organisation="Annan")
    flush_outbox(app.sessions, app.settings)
    assert handler.auth_exchanges == 2


def test_smtp_auth_disabled_names_the_admin_setting(
    db_url: str, tmp_path: Path, stub: TokenStub, oauth_smtp: SmtpServer
) -> None:
    handler = oauth_smtp.handler
    assert isinstance(handler, OAuthHandler)
    handler.auth_disabled_for.add(MAILBOX)
    app = smtp_app(db_url, tmp_path, oauth_smtp, credential(stub, MAILBOX))
    register(app)
    flush_outbox(app.sessions, app.settings)
    [row] = outbox(app)
    assert row.state == "queued"
    assert "SmtpClientAuthenticationDisabled $false" in (row.last_error or "")
    assert "5.7.139" in (row.last_error or "")


def test_password_no_longer_accepted_says_to_switch(db_url: str, tmp_path: Path) -> None:
    """Given a server answering 5.7.30 to passwords, then the line says auth = "oauth2"."""
    server = SmtpServer(handler=PasswordGoneHandler())
    server.start()
    try:
        os.environ["TEST_SMTP_PW"] = "hemligt"
        app = build_app(
            db_url,
            tmp_path,
            smtp=server.smtp_settings(username=MAILBOX, password_env="TEST_SMTP_PW"),
        )
        register(app)
        flush_outbox(app.sessions, app.settings)
    finally:
        server.stop()
    [row] = outbox(app)
    assert row.state == "queued"
    assert 'byt till auth = "oauth2"' in (row.last_error or "")
    assert "hemligt" not in (row.last_error or "")


def test_google_workspace_sends_as_the_configured_mailbox(
    db_url: str, tmp_path: Path, stub: TokenStub, oauth_smtp: SmtpServer
) -> None:
    """Given a Google service account delegated for the office mailbox, when the outbox is
    flushed, then the token is asked for that mailbox (sub) and the mail is sent."""
    key_file = google_service_account(
        stub, tmp_path / "sa.json", "casefile@finsam.iam.gserviceaccount.com", MAILBOX, key_id=None
    )
    app = smtp_app(db_url, tmp_path, oauth_smtp, {"provider": "google", "key_file": str(key_file)})
    register(app)
    result = flush_outbox(app.sessions, app.settings)
    assert result.sent == 1, outbox(app)[0].last_error
    assert len(oauth_smtp.messages) == 1
