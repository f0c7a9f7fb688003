"""`intake check`: every check passes on a good set-up and each failing item is named."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from casefile.app import App
from casefile.db.migrate import upgrade
from intake.cli import cli
from tests.auth.conftest import credential, oauth_box
from tests.support.dovecot import DovecotServer
from tests.support.oauth2 import TokenStub
from tests.support.smtp import CA_FILE, SmtpServer
from tests.support.toml import write_config

MAILBOX = "kontakt@finsam.test"


class Setup:
    """A complete configuration on real servers; tests break one thing at a time."""

    def __init__(
        self, db_url: str, tmp_path: Path, stub: TokenStub, server: DovecotServer, smtp: SmtpServer
    ) -> None:
        self.tmp_path = tmp_path
        account = server.add_account()
        self.account = account
        self.data: dict[str, Any] = {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
            "mailboxes": [
                oauth_box(server, account.username, "kontakt", "m365")
                | {"processed_folder": "Hanterad"}
            ],
            "smtp": smtp.smtp_settings(auth="oauth2", oauth2="smtp", username=MAILBOX),
            "oauth2": {
                "m365": credential(stub, account.username),
                "smtp": credential(stub, MAILBOX),
            },
        }

    def run(self, *extra: str) -> Result:
        config = write_config(self.tmp_path / "casefile.toml", self.data)
        return CliRunner().invoke(cli, ["--config", str(config), "check", *extra])


@pytest.fixture
def setup(
    db_url: str, tmp_path: Path, stub: TokenStub, dovecot_jwt: DovecotServer, oauth_smtp: SmtpServer
) -> Setup:
    s = Setup(db_url, tmp_path, stub, dovecot_jwt, oauth_smtp)
    config = write_config(tmp_path / "casefile.toml", s.data)
    app = App.from_config(str(config))
    upgrade(app.engine)
    app.engine.dispose()
    return s


def failed(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("✗")]


def test_all_green_on_real_servers_and_no_mail_sent(setup: Setup, oauth_smtp: SmtpServer) -> None:
    """Given a good configuration, then every line is ✓, exit 0, and nothing was sent."""
    result = setup.run()
    assert result.exit_code == 0, result.output
    assert not failed(result)
    lines = result.output.splitlines()
    for name in (
        "konfiguration",
        "databas",
        "lagring",
        "brevlåda kontakt: token",
        "brevlåda kontakt: inloggning",
        "brevlåda kontakt: mapp",
        "brevlåda kontakt: mapp för hanterad post",
        "SMTP: token",
        "SMTP: anslutning",
        "SMTP: inloggning",
        "mall kvittens",
        "mall digest",
    ):
        assert any(line.startswith(f"✓ {name}:") for line in lines), name
    assert "XOAUTH2" in result.output
    assert not oauth_smtp.messages
    assert "Hanterad" not in [f for f in setup.account.client().list_folders()]


def test_json_is_one_document(setup: Setup) -> None:
    result = setup.run("--json")
    data = json.loads(result.output)
    assert data["ok"] is True and all(c["ok"] for c in data["checks"])


def test_bad_configuration_is_one_line(setup: Setup) -> None:
    setup.data["mailboxes"][0]["colour"] = "blå"
    result = setup.run()
    assert result.exit_code == 1
    assert failed(result) == [result.output.strip()]
    assert "colour: okänd nyckel" in result.output


def expiring_in(setup: Setup, days: int) -> dt.date:
    """Set the m365 secret to expire `days` from today in the registry's zone."""
    today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
    when = today + dt.timedelta(days=days)
    setup.data["oauth2"]["m365"]["secret_expires"] = when
    return when


def validity(result: Result) -> str:
    [line] = [line for line in result.output.splitlines() if "oauth2 m365: giltighet" in line]
    return line


def test_secret_expiring_within_30_days_is_a_warning_and_exit_0(setup: Setup) -> None:
    soon = expiring_in(setup, 26)
    result = setup.run()
    assert result.exit_code == 0, result.output
    assert not failed(result)
    line = validity(result)
    assert line.startswith("⚠ ") and soon.isoformat() in line and "om 26 dagar" in line


@pytest.mark.parametrize(("days", "mark"), [(30, "⚠"), (31, "✓")])
def test_the_warning_starts_exactly_30_days_before(setup: Setup, days: int, mark: str) -> None:
    expiring_in(setup, days)
    result = setup.run()
    assert result.exit_code == 0, result.output
    assert validity(result).startswith(f"{mark} ")


def test_strict_makes_a_warning_exit_1(setup: Setup) -> None:
    expiring_in(setup, 26)
    assert setup.run("--strict").exit_code == 1
    expiring_in(setup, 31)
    assert setup.run("--strict").exit_code == 0


def test_an_expired_secret_is_an_error(setup: Setup) -> None:
    expiring_in(setup, -1)
    result = setup.run()
    assert result.exit_code == 1
    assert validity(result).startswith("✗ ") and "gick ut" in validity(result)


def test_json_gives_the_status_of_every_line(setup: Setup) -> None:
    expiring_in(setup, 26)
    result = setup.run("--json")
    assert result.exit_code == 0
    checks = json.loads(result.output)["checks"]
    status = {c["name"]: c["status"] for c in checks}
    assert status.pop("oauth2 m365: giltighet") == "warning"
    assert set(status.values()) == {"ok"}


def test_database_behind_the_schema_says_casefile_init(setup: Setup, tmp_path: Path) -> None:
    setup.data["database"]["url"] = f"sqlite:///{tmp_path / 'tom.db'}"
    result = setup.run()
    assert result.exit_code == 1
    [line] = failed(result)
    assert line.startswith("✗ databas:") and "casefile init" in line


def test_unreachable_database(setup: Setup) -> None:
    setup.data["database"]["url"] = "postgresql+psycopg2://nobody@127.0.0.1:9/none"
    result = setup.run()
    assert result.exit_code == 1
    assert any(line.startswith("✗ databas: kan inte nås") for line in failed(result))


def test_storage_not_writable(setup: Setup, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    setup.data["storage"]["path"] = str(tmp_path / "a-file")
    result = setup.run()
    [line] = failed(result)
    assert line.startswith("✗ lagring:") and "storage.path" in line


def test_bad_secret_fails_the_token_check(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(setup.data["oauth2"]["m365"]["client_secret_env"], "gammal")
    result = setup.run()
    [line] = failed(result)
    assert line.startswith("✗ brevlåda kontakt: token:") and "klienthemligheten" in line


def test_missing_folder(setup: Setup) -> None:
    setup.data["mailboxes"][0]["folder"] = "Finnsinte"
    [line] = failed(setup.run())
    assert line.startswith("✗ brevlåda kontakt: mapp:") and "Finnsinte" in line


@pytest.mark.parametrize("folder", ["INBOX", "Arkiv..Hanterad"])
def test_processed_folder_that_cannot_be_created(setup: Setup, folder: str) -> None:
    """The same folder as the inbox, or an empty part between Dovecot's '.' separators."""
    setup.data["mailboxes"][0]["processed_folder"] = folder
    [line] = failed(setup.run())
    assert line.startswith("✗ brevlåda kontakt: mapp för hanterad post:")
    assert "processed_folder" in line


def test_password_login_refused(
    db_url: str,
    tmp_path: Path,
    dovecot: DovecotServer,
    oauth_smtp: SmtpServer,
    stub: TokenStub,
) -> None:
    account = dovecot.add_account()
    s = Setup(db_url, tmp_path, stub, dovecot, oauth_smtp)
    box = account.mailbox_settings()
    os.environ[str(box["password_env"])] = "fel-lösenord"
    s.data["mailboxes"] = [box]
    config = write_config(tmp_path / "casefile.toml", s.data)
    upgrade(App.from_config(str(config)).engine)
    result = s.run()
    [line] = failed(result)
    assert line.startswith("✗ brevlåda kontakt: inloggning:") and box["password_env"] in line


def test_smtp_unreachable(setup: Setup) -> None:
    setup.data["smtp"]["port"] = 9
    [line] = failed(setup.run())
    assert line.startswith("✗ SMTP: anslutning:")


def test_smtp_tls_certificate_not_trusted(setup: Setup, tmp_path: Path) -> None:
    server = SmtpServer(tls="starttls")
    server.start()
    try:
        setup.data["smtp"] = server.smtp_settings() | {"ca_file": None}
        result = setup.run()
    finally:
        server.stop()
    [line] = failed(result)
    assert line.startswith("✗ SMTP: TLS:")
    assert str(CA_FILE)  # the trusted CA exists; it was left out on purpose


def test_smtp_login_refused(setup: Setup, stub: TokenStub) -> None:
    setup.data["oauth2"]["smtp"] = credential(stub, "annan@finsam.test")
    [line] = failed(setup.run())
    assert line.startswith("✗ SMTP: inloggning:") and "SMTP.SendAsApp" in line


def test_broken_template(setup: Setup, tmp_path: Path) -> None:
    overrides = tmp_path / "mallar"
    overrides.mkdir()
    (overrides / "kvittens.txt").write_text("Hej {{ finns_inte.alls }}\n")
    setup.data["mail"] = {"templates_dir": str(overrides)}
    [line] = failed(setup.run())
    assert line.startswith("✗ mall kvittens:") and "finns_inte" in line
