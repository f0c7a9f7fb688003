"""Configuration: one TOML file, loaded once into typed, validated settings.

Secrets never live in the file: keys ending in ``_env`` name environment variables.
A wrong or missing key is reported as one line naming the key and the file.

Three modules: settings.py (the dataclasses and their defaults), loading.py (reading and
checking the file), messages.py (every problem, in Swedish and English). Every name is
re-exported here, so `from casefile.config import …` is the one import path.
"""

from __future__ import annotations

from casefile.config.loading import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    load_settings,
    resolve_config_path,
    settings_from_dict,
    settings_from_json,
)
from casefile.config.messages import _PROBLEMS, ConfigError, _Invalid, _problem
from casefile.config.settings import (
    GRAPH_SCOPE,
    GRAPH_URL,
    PATH,
    AuthMode,
    DatabaseSettings,
    ExportSettings,
    ExtractionSettings,
    LimitsSettings,
    MailboxSettings,
    MailSettings,
    OAuth2Settings,
    RegistrySettings,
    RemindersSettings,
    Security,
    ServiceSettings,
    Settings,
    SignaturesSettings,
    SmtpSettings,
    StorageSettings,
    WebSettings,
    WebUser,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "GRAPH_SCOPE",
    "GRAPH_URL",
    "PATH",
    "_PROBLEMS",
    "AuthMode",
    "ConfigError",
    "DatabaseSettings",
    "ExportSettings",
    "ExtractionSettings",
    "LimitsSettings",
    "MailSettings",
    "MailboxSettings",
    "OAuth2Settings",
    "RegistrySettings",
    "RemindersSettings",
    "Security",
    "ServiceSettings",
    "Settings",
    "SignaturesSettings",
    "SmtpSettings",
    "StorageSettings",
    "WebSettings",
    "WebUser",
    "_Invalid",
    "_problem",
    "load_settings",
    "resolve_config_path",
    "settings_from_dict",
    "settings_from_json",
]
