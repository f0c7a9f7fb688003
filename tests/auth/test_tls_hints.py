"""TLS and port mistakes, against real Dovecot and aiosmtpd, say what to change in one line:
"ssl" on a port that starts in plain text, STARTTLS on a server that does not offer it, and a
certificate that cannot be verified (ca_file). In `intake check`, the poll's error and
`intake status`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from casefile.app import App
from casefile.db.migrate import upgrade
from intake.cli import cli
from tests.support.dovecot import Account, DovecotServer
from tests.support.smtp import SmtpServer
from tests.support.toml import write_config

WRONG_PORT_IMAP = 'mailboxes[kontakt].security = "ssl", men port {port} börjar okrypterat: använd '
WRONG_PORT_IMAP += 'security = "starttls" med port 143, eller port 993 med "ssl"'


@pytest.fixture(scope="module")
def dovecot_plain() -> Iterator[DovecotServer]:
    """A Dovecot without TLS at all: no STARTTLS, no TLS port."""
    root = Path(tempfile.mkdtemp(prefix="casefile-dovecot-plain-"))
    root.chmod(0o755)
    server = DovecotServer(root, tls=False)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


class Config:
    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.path = tmp_path / "casefile.toml"
        self.data: dict[str, Any] = {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
            "smtp": {"transport": "folder", "folder": str(tmp_path / "outbox")},
        }
        write_config(self.path, self.data)
        app = App.from_config(str(self.path))
        upgrade(app.engine)
        app.engine.dispose()

    def run(self, *args: str) -> Result:
        write_config(self.path, self.data)
        return CliRunner().invoke(cli, ["--config", str(self.path), *args])


@pytest.fixture
def account(dovecot: DovecotServer) -> Account:
    """A fresh account on the shared Dovecot (tests/auth/conftest.py imports it)."""
    return dovecot.add_account()


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> Config:
    return Config(db_url, tmp_path)


def line(result: Result, name: str) -> str:
    [found] = [x for x in result.output.splitlines() if x.startswith(f"✗ {name}:")]
    return found


def test_imap_ssl_on_the_plain_port(config: Config, account: Account) -> None:
    config.data["mailboxes"] = [account.mailbox_settings(security="ssl")]
    result = config.run("check")
    assert result.exit_code == 1
    assert line(result, "brevlåda kontakt: inloggning").endswith(
        WRONG_PORT_IMAP.format(port=account.server.port)
    )


def test_imap_certificate_not_verified_names_ca_file(
    config: Config, account: Account, dovecot: DovecotServer
) -> None:
    config.data["mailboxes"] = [account.mailbox_settings(security="ssl", port=dovecot.tls_port)]
    result = config.run("check")
    assert "CERTIFICATE_VERIFY_FAILED" in line(result, "brevlåda kontakt: inloggning")
    assert line(result, "brevlåda kontakt: inloggning").endswith(
        "ange CA-certifikatet (PEM) i mailboxes[kontakt].ca_file"
    )


def test_imap_without_starttls_says_use_the_tls_port(
    config: Config, dovecot_plain: DovecotServer
) -> None:
    plain = dovecot_plain.add_account()
    config.data["mailboxes"] = [plain.mailbox_settings(security="starttls")]
    result = config.run("check")
    assert line(result, "brevlåda kontakt: inloggning").endswith(
        f"servern erbjuder inte STARTTLS på port {dovecot_plain.port}: använd port 993 med "
        'security = "ssl" (mailboxes[kontakt].port, mailboxes[kontakt].security)'
    )


@pytest.mark.parametrize(
    ("server_tls", "security", "hint"),
    [
        (
            "none",
            "ssl",
            'smtp.security = "ssl", men port {port} börjar okrypterat: använd '
            'security = "starttls" med port 587, eller port 465 med "ssl"',
        ),
        (
            "none",
            "starttls",
            "servern erbjuder inte STARTTLS på port {port}: använd port 465 med "
            'security = "ssl" (smtp.port, smtp.security)',
        ),
        ("ssl", "ssl", "ange CA-certifikatet (PEM) i smtp.ca_file"),
        ("starttls", "starttls", "ange CA-certifikatet (PEM) i smtp.ca_file"),
    ],
)
def test_smtp_tls_mistakes_in_check(
    config: Config, server_tls: str, security: str, hint: str
) -> None:
    server = SmtpServer(tls=server_tls)
    server.start()
    try:
        config.data["smtp"] = server.smtp_settings(security=security, ca_file=None)
        result = config.run("check")
    finally:
        server.stop()
    assert result.exit_code == 1
    [failed] = [x for x in result.output.splitlines() if x.startswith("✗")]
    assert failed.startswith("✗ SMTP: ")
    assert failed.endswith(hint.format(port=server.port))


def test_the_poll_error_and_status_carry_the_hint(
    config: Config, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    config.data["mailboxes"] = [account.mailbox_settings(security="ssl")]
    hint = WRONG_PORT_IMAP.format(port=account.server.port)
    poll = config.run("poll", "--once")
    assert poll.exit_code == 1
    [said] = [x for x in poll.output.splitlines() if x.startswith("kontakt: FEL – ")]
    assert said.endswith(hint)
    [logged] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert logged.startswith("brevlåda kontakt: kan inte nå") and logged.endswith(hint)
    status = config.run("status")
    assert status.exit_code == 1
    [error] = [x for x in status.output.splitlines() if "senaste fel" in x]
    assert error.endswith(hint)
