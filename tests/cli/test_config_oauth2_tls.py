"""OAuth2 over security = "none" would send a bearer token in clear: a configuration error
naming the key, except to a loopback host (nothing leaves the machine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.config import ConfigError, load_settings
from intake.cli import cli

OAUTH2 = """
[oauth2.m365]
provider = "microsoft"
tenant = "forbund.onmicrosoft.com"
client_id = "c"
client_secret_env = "M365_CLIENT_SECRET"
"""


def config(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "casefile.toml"
    path.write_text(OAUTH2 + section, encoding="utf-8")
    return path


MAILBOX = """
[[mailboxes]]
name = "kontakt"
host = "{host}"
port = 143
security = "none"
auth = "oauth2"
oauth2 = "m365"
username = "kontakt@forbund.se"
"""
SMTP = """
[smtp]
host = "{host}"
port = 25
security = "none"
auth = "oauth2"
oauth2 = "m365"
username = "kontakt@forbund.se"
"""


@pytest.mark.parametrize(
    ("section", "key"), [(MAILBOX, "mailboxes[kontakt].security"), (SMTP, "smtp.security")]
)
def test_oauth2_without_tls_to_another_host_is_refused(
    tmp_path: Path, section: str, key: str
) -> None:
    path = config(tmp_path, section.format(host="outlook.office365.com"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert f"{path}: {key}: " in message
    assert "okrypterad till outlook.office365.com" in message


def test_check_says_it_in_one_line(tmp_path: Path) -> None:
    path = config(tmp_path, SMTP.format(host="smtp.office365.com"))
    result = CliRunner().invoke(cli, ["--config", str(path), "check"])
    assert result.exit_code == 1
    assert result.output.startswith("✗ konfiguration: ")
    assert "smtp.security: " in result.output and len(result.output.splitlines()) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_may_go_without_tls(tmp_path: Path, host: str) -> None:
    settings = load_settings(config(tmp_path, MAILBOX.format(host=host) + SMTP.format(host=host)))
    assert settings.mailboxes[0].security == "none" and settings.smtp.security == "none"


def test_tls_or_a_password_is_not_affected(tmp_path: Path) -> None:
    starttls = SMTP.format(host="smtp.office365.com").replace('"none"', '"starttls"')
    assert load_settings(config(tmp_path, starttls)).smtp.security == "starttls"
    password = SMTP.format(host="relay.internal").replace('auth = "oauth2"', 'auth = "password"')
    assert load_settings(config(tmp_path, password)).smtp.auth == "password"
