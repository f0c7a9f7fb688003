"""Failing logins in `intake status`; expiring secrets in status and the staff digest."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.db.migrate import upgrade
from casefile.db.models import OutboxMail
from intake.auth.tokens import CACHE
from intake.cli import cli
from intake.mail.poll import poll_mailbox
from intake.outgoing import queue_digest
from tests.auth.conftest import credential, oauth_box
from tests.support.dovecot import DovecotServer
from tests.support.oauth2 import TokenStub
from tests.support.toml import write_config


def configured(tmp_path: Path, data: dict[str, object]) -> tuple[Path, App]:
    config = write_config(tmp_path / "casefile.toml", data)
    app = App.from_config(str(config))
    upgrade(app.engine)
    return config, app


def test_status_exits_1_while_a_login_keeps_failing(
    db_url: str,
    tmp_path: Path,
    stub: TokenStub,
    dovecot_jwt: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a mailbox whose client secret is refused, when it has been polled, then
    `intake status` exits 1 and says which login fails and when it is tried again."""
    account = dovecot_jwt.add_account()
    cred = credential(stub, account.username)
    config, app = configured(
        tmp_path,
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "service": {"lock_path": str(tmp_path / "casefile.lock"), "stale_poll_seconds": 99999},
            "mailboxes": [oauth_box(dovecot_jwt, account.username, "kontakt", "m365")],
            "oauth2": {"m365": cred},
        },
    )
    assert poll_mailbox(app, app.settings.mailboxes[0]).ok
    ok = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert ok.exit_code == 0, ok.output
    CACHE.clear()
    monkeypatch.setenv(str(cred["client_secret_env"]), "utgången")
    assert not poll_mailbox(app, app.settings.mailboxes[0]).ok
    result = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert result.exit_code == 1
    assert "inloggningen misslyckas för brevlåda kontakt" in result.output
    assert "klienthemligheten" in result.output
    as_json = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"])
    assert '"failing"' in as_json.output and as_json.exit_code == 1
    app.engine.dispose()


def test_secret_expiring_soon_warns_in_status_and_digest(
    db_url: str, tmp_path: Path, stub: TokenStub
) -> None:
    """Given secret_expires in 10 days, then status and the staff digest warn about it."""
    today = dt.date.today()
    cred = credential(stub, "kontakt@finsam.test") | {
        "secret_expires": today + dt.timedelta(days=10)
    }
    config, app = configured(
        tmp_path,
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
            "reminders": {"staff_address": "registrator@finsam.test"},
            "oauth2": {"m365": cred},
        },
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert "VARNING: oauth2 m365: klienthemligheten går ut" in result.output
    with app.sessions() as s, s.begin():
        row = queue_digest(s, app.settings, today)
        assert isinstance(row, OutboxMail)
        parsed = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "behöver förnyas snart" in text
    assert "oauth2 m365: klienthemligheten går ut" in text and "(om 10 dagar)" in text
    app.engine.dispose()
