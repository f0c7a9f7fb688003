"""Configuration: one TOML file, loaded once into typed, validated settings.

Secrets never live in the file: keys ending in ``_env`` name environment variables.
A wrong or missing key is reported as one line naming the key and the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_PATH = Path("config/casefile.toml")
CONFIG_ENV = "CASEFILE_CONFIG"

Security = Literal["ssl", "starttls", "none"]


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the operator."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/casefile.db"


class RegistrySettings(_Section):
    prefix: str = "SFG"
    timezone: str = "Europe/Stockholm"
    office_name: str = "Samordningsförbundet"
    # Fields: prefix, yy (two-digit year the case was opened), yyyy, case, doc.
    case_format: str = "{prefix} {yy}-{case:02d}"
    number_format: str = "{prefix} {yy}-{case:02d}.{doc:02d}"
    # Initials the bot registers under, so the audit log tells machine from person.
    bot_actor: str = "casefile"
    language: Literal["sv", "en"] = "sv"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StorageSettings(_Section):
    path: str = "var/archive"


class LimitsSettings(_Section):
    max_message_bytes: int = 50 * 1024 * 1024
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_zip_entries: int = 2000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_pdf_pages: int = 200
    parse_timeout_seconds: float = 30.0
    parse_memory_mb: int = 512


class MailboxSettings(_Section):
    name: str
    type: Literal["imap", "maildir"] = "imap"
    host: str = ""
    port: int = 993
    security: Security = "ssl"
    username: str = ""
    password_env: str = ""
    ca_file: str | None = None
    folder: str = "INBOX"
    # Maildir source: the folder holding cur/ new/ tmp/.
    path: str = ""
    # After a message is registered (both optional; nothing is ever deleted or expunged).
    processed_keyword: str | None = "$CasefileProcessed"
    processed_folder: str | None = None
    timeout_seconds: float = 60.0
    batch_size: int = 50
    poll_interval_seconds: int = 120
    enabled: bool = True

    def password(self) -> str:
        if not self.password_env:
            return ""
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(
                f"mailboxes[{self.name}].password_env: environment variable "
                f"{self.password_env} is not set"
            )
        return value


class SmtpSettings(_Section):
    transport: Literal["smtp", "folder"] = "smtp"
    host: str = "localhost"
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    ca_file: str | None = None
    timeout_seconds: float = 60.0
    from_address: str = "kontakt@example.se"
    from_name: str = ""
    # The folder transport writes one .eml file per mail here.
    folder: str = "var/outbox"

    def password(self) -> str | None:
        if not self.password_env:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(
                f"smtp.password_env: environment variable {self.password_env} is not set"
            )
        return value


class MailSettings(_Section):
    """Rules for automatic mail."""

    max_per_recipient_per_day: int = 10
    loop_header: str = "X-Casefile-Loop"
    templates_dir: str | None = None
    signature: str = ""
    send_acknowledgements: bool = True
    retry_base_seconds: int = 60
    retry_max_attempts: int = 12


class RemindersSettings(_Section):
    # A case's report is due this many days after the insats period ends, unless set by hand.
    due_after_period_end_days: int = 60
    # Reminder steps relative to the due date, in days (negative: before).
    steps_days: list[int] = Field(default_factory=lambda: [-14, 0, 14])
    completion_repeat_days: int = 14
    completion_max_requests: int = 3
    business_days: bool = True
    staff_address: str | None = None
    digest_cron: str = "0 7 * * mon-fri"
    reminders_cron: str = "0 8 * * mon-fri"


class ServiceSettings(_Section):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    outbox_interval_seconds: int = 60
    misfire_grace_seconds: int = 300
    # What a second instance does: wait for the lock, or exit.
    on_lock_busy: Literal["wait", "exit"] = "exit"
    lock_path: str = "var/casefile.lock"
    stale_poll_seconds: int = 3600
    stop_timeout_seconds: int = 30


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    registry: RegistrySettings = RegistrySettings()
    storage: StorageSettings = StorageSettings()
    limits: LimitsSettings = LimitsSettings()
    mailboxes: list[MailboxSettings] = Field(default_factory=list)
    smtp: SmtpSettings = SmtpSettings()
    mail: MailSettings = MailSettings()
    reminders: RemindersSettings = RemindersSettings()
    service: ServiceSettings = ServiceSettings()
    # Where the file was read from: relative paths in it are resolved against its folder's parent
    # only when they are not absolute; we keep them relative to the working folder, as documented.
    source: Annotated[str, Field(exclude=True)] = ""


def resolve_config_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {first['msg']}"


def load_settings(path: str | Path) -> Settings:
    """Read and validate the configuration file; raise ConfigError with one line."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        settings = Settings.model_validate({**raw, "source": str(path)})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
    names = [box.name for box in settings.mailboxes]
    if len(names) != len(set(names)):
        raise ConfigError(f"{path}: mailboxes.name: every mailbox needs a unique name")
    return settings
