"""The [oauth2.NAME] configuration: references checked, the example loads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from casefile.config import (
    ConfigError,
    load_settings,
    settings_from_dict,
    settings_from_json,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_production_example_uses_oauth2_and_loads() -> None:
    settings = load_settings(ROOT / "config" / "casefile.example.toml")
    assert settings.mailboxes[0].auth == "oauth2"
    assert settings.smtp.oauth2 == "m365"
    assert settings.oauth2["m365"].secret_expires == dt.date(2027, 6, 30)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"mailboxes": [{"name": "k", "auth": "oauth2"}]}, "mailboxes[k].oauth2: krävs"),
        (
            {"mailboxes": [{"name": "k", "auth": "oauth2", "oauth2": "m365"}]},
            "avsnittet [oauth2.m365] finns inte",
        ),
        ({"oauth2": {"x": {"provider": "microsoft", "client_id": "a"}}}, "oauth2.x.tenant"),
        ({"oauth2": {"x": {"provider": "google"}}}, "oauth2.x.key_file"),
        (
            {"oauth2": {"x": {"provider": "generic", "token_url": "http://t", "client_id": "a"}}},
            "oauth2.x.client_secret_env",
        ),
        (
            {"oauth2": {"x": {"provider": "microsoft", "tenant": "t", "secret_expires": "snart"}}},
            "oauth2.x.secret_expires",
        ),
    ],
)
def test_bad_oauth2_settings_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(data)
    assert key in str(caught.value)


def test_token_command_needs_nothing_else() -> None:
    settings = settings_from_dict(
        {"oauth2": {"h": {"provider": "generic", "token_command": "oauth2ms --token"}}}
    )
    assert settings.oauth2["h"].token_command == "oauth2ms --token"
    assert settings_from_json(settings.to_json()) == settings
