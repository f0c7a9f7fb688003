"""Configuration: one TOML file, loaded once into typed, validated settings.

Secrets never live in the file: keys ending in ``_env`` name environment variables.
A wrong or missing key is reported as one line naming the key and the file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casefile.errors import UserError
from casefile.i18n import environment_language

DEFAULT_CONFIG_PATH = Path("config/casefile.toml")
CONFIG_ENV = "CASEFILE_CONFIG"

Security = Literal["ssl", "starttls", "none"]
AuthMode = Literal["password", "oauth2"]
GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class ConfigError(UserError):
    """A configuration problem, already phrased as one line for the operator."""

    @classmethod
    def at(cls, where: str, problem: str, **fields: Any) -> ConfigError:
        """`<where>: <problem>`: the file or key as written, the problem (a key of _PROBLEMS)
        in the operator's language."""
        return cls(f"{where}: {_problem(problem, **fields)}")


# Every problem a configuration can have, (Swedish, English), one line each, with named fields.
# The file is read before registry.language is known, so CASEFILE_LANG alone chooses: Swedish
# unless it says en. Keys, values and file names are not translated: they are what is edited.
_PROBLEMS: dict[str, tuple[str, str]] = {
    # The file
    "file_not_found": ("konfigurationsfilen finns inte", "configuration file not found"),
    "file_is_folder": (
        "är en mapp, inte en konfigurationsfil",
        "is a folder, not a configuration file",
    ),
    "file_not_utf8": ("är inte text i UTF-8 (byte {start})", "not UTF-8 text (byte {start})"),
    "file_unreadable": ("kan inte läsas ({reason})", "cannot be read ({reason})"),
    "file_not_toml": ("är inte giltig TOML ({error})", "not valid TOML ({error})"),
    # Keys and values
    "unknown_key": ("okänd nyckel", "unknown key"),
    "missing_key": ("obligatorisk nyckel saknas", "required key is missing"),
    "invalid_value": ("ogiltigt värde", "invalid value"),
    "envelope_from_ascii": (
        "ska vara en e-postadress i ASCII, inte {value!r} (skriv domänen i punycode: xn--…)",
        "must be an e-mail address in ASCII, not {value!r} (write the domain in punycode: xn--…)",
    ),
    "not_one_of": (
        "ska vara något av {choices}, inte {value!r}",
        "must be one of {choices}, not {value!r}",
    ),
    "not_table": ("ska vara en tabell", "must be a table"),
    "not_list": ("ska vara en lista", "must be a list"),
    "not_date": (
        "ska vara ett datum (ÅÅÅÅ-MM-DD), inte {value!r}",
        "must be a date (YYYY-MM-DD), not {value!r}",
    ),
    "not_bool": (
        "ska vara true eller false, inte {value!r}",
        "must be true or false, not {value!r}",
    ),
    "not_int": ("ska vara ett heltal, inte {value!r}", "must be a whole number, not {value!r}"),
    "not_number": ("ska vara ett tal, inte {value!r}", "must be a number, not {value!r}"),
    "not_string": ("ska vara text, inte {value!r}", "must be a string, not {value!r}"),
    "unsupported_type": ("inställningstypen {name} stöds inte", "unsupported setting type {name}"),
    "env_not_set": ("miljövariabeln {name} är inte satt", "environment variable {name} is not set"),
    # [registry]
    "unknown_timezone": ("okänd tidszon {timezone!r}", "unknown time zone {timezone!r}"),
    "format_invalid": ("inget giltigt format ({error})", "not a valid format ({error})"),
    "format_unknown_field": (
        "okänt fält {names}; använd {{prefix}} {{yy}} {{yyyy}} {{case}} {{doc}}",
        "unknown field {names}; use {{prefix}} {{yy}} {{yyyy}} {{case}} {{doc}}",
    ),
    "format_without_year": (
        "måste innehålla {{yy}} eller {{yyyy}}: löpnumren börjar om varje år",
        "must contain {{yy}} or {{yyyy}}: serials restart every year",
    ),
    "format_needs": ("måste innehålla {{{name}}}", "must contain {{{name}}}"),
    "format_forbids": ("får inte innehålla {{{name}}}", "must not contain {{{name}}}"),
    "staff_domain_entry": (
        "{value!r} är ingen hel adress; skriv en hel domän i registry.staff_domains",
        "{value!r} is not a whole address; put a whole domain in registry.staff_domains",
    ),
    # [database]
    "database_url": (
        "ingen användbar databas-URL ({error})",
        "not a usable database URL ({error})",
    ),
    "database_backend": (
        "databasen {backend} stöds inte; skriv sqlite:///… eller postgresql://…",
        "the database {backend} is not supported; write sqlite:///… or postgresql://…",
    ),
    "database_driver": (
        "drivrutinen {driver} stöds inte; skriv {backend}:// utan drivrutin",
        "the driver {driver} is not supported; write {backend}:// without a driver",
    ),
    "database_psycopg3": (
        "drivrutinen psycopg (3) är inte installerad; "
        "skriv postgresql:// (psycopg2) i stället för postgresql+psycopg://",
        "the driver psycopg (3) is not installed; "
        "write postgresql:// (psycopg2) instead of postgresql+psycopg://",
    ),
    "password_env_sqlite": ("bara för PostgreSQL, inte SQLite", "only for PostgreSQL, not SQLite"),
    "password_twice": (
        "URL:en har redan ett lösenord; ange det bara på ett ställe",
        "the URL has a password already; keep only one",
    ),
    # [[mailboxes]], [smtp], [oauth2.NAME]
    "mailbox_names": ("varje brevlåda behöver ett eget namn", "every mailbox needs a unique name"),
    "oauth2_name_missing": ('krävs när auth = "oauth2"', 'required when auth = "oauth2"'),
    "oauth2_no_section": (
        "avsnittet [oauth2.{name}] finns inte (definierade: {known})",
        "no section [oauth2.{name}] (defined: {known})",
    ),
    "oauth2_none_defined": ("inga", "none"),
    "needed_for_provider": (
        'krävs när provider = "{provider}"',
        'required for provider "{provider}"',
    ),
    "token_url_needed": (
        'krävs när provider = "generic" (eller token_command)',
        'required for provider "generic" (or token_command)',
    ),
    "certificate_pair": (
        "ange både certificate_file och private_key_file",
        "give both certificate_file and private_key_file",
    ),
    "secret_needed": ("krävs (eller ett certifikat)", "required (or a certificate)"),
    "oauth2_cleartext": (
        'är "none": OAuth2-token skulle skickas okrypterad till {host}; '
        'använd "ssl" eller "starttls" (okrypterat går bara mot loopback)',
        'is "none": the OAuth2 token would be sent in clear to {host}; '
        'use "ssl" or "starttls" (plain text is allowed to loopback only)',
    ),
    "graph_scope": (
        'Graph kräver scope = "{scope}" i [oauth2.{name}] (nu {value!r})',
        'Graph needs scope = "{scope}" in [oauth2.{name}] (now {value!r})',
    ),
    "graph_cleartext": (
        "{url} är inte https: OAuth2-token skulle skickas okrypterad (http går bara mot loopback)",
        "{url} is not https: the OAuth2 token would be sent in clear (http to loopback only)",
    ),
    "graph_username": (
        "krävs för Graph: brevlådans UPN eller objekt-id",
        "required for Graph: the mailbox's UPN or object id",
    ),
    # [reminders] (checked when the service builds its schedule: intake/service/scheduler.py)
    "cron": (
        "{expression!r} är inget giltigt cron-uttryck ({error})",
        "{expression!r} is not a valid cron expression ({error})",
    ),
}


def _problem(problem: str, **fields: Any) -> str:
    sv, en = _PROBLEMS[problem]
    return (en if environment_language() == "en" else sv).format(**fields)


T = TypeVar("T")

# A path setting: relative values are taken from the configuration file's folder at load
# (load_settings), as the SQLite path is, never from the working folder. Settings built in code
# (no file) keep them as written.
PATH: dict[str, bool] = {"path": True}

# Plain frozen dataclasses, validated by the small loader at the end of this module: the staff
# CLI starts in a fraction of a second, and a validation library's start-up cost was a third of it.


@dataclass(frozen=True, kw_only=True)
class DatabaseSettings:
    # A relative SQLite path is relative to the configuration file's folder.
    url: str = "sqlite:///var/casefile.db"
    # PostgreSQL: the environment variable holding the password, put into the URL at load.
    password_env: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegistrySettings:
    prefix: str = "SFG"
    timezone: str = "Europe/Stockholm"
    office_name: str = "Samordningsförbundet"
    # Fields: prefix, yy (two-digit year the case was opened), yyyy, case, doc.
    case_format: str = "{prefix} {yy}-{case:02d}"
    number_format: str = "{prefix} {yy}-{case:02d}.{doc:02d}"
    # Initials the bot registers under, so the audit log tells machine from person.
    bot_actor: str = "casefile"
    language: Literal["sv", "en"] = "sv"
    # The officers' own addresses ("handlaggare@forbund.se"): a report forwarded from one of
    # them, verified by our server, is registered for its original sender
    # (intake/mail/forward.py). Whole domains only in staff_domains, where the operator says so.
    staff_addresses: list[str] = field(default_factory=list)
    staff_domains: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _Invalid("timezone", "unknown_timezone", timezone=self.timezone) from None
        _check_number_format("case_format", self.case_format, {"case"}, {"doc"})
        _check_number_format("number_format", self.number_format, {"case", "doc"}, set())
        for entry in self.staff_addresses:
            local, at, _ = entry.strip().rpartition("@")
            if entry.strip() and not (at and local):
                # A domain here once meant every address in it: that must now be said explicitly.
                raise _Invalid("staff_addresses", "staff_domain_entry", value=entry)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    path: str = field(default="var/archive", metadata=PATH)


@dataclass(frozen=True, kw_only=True)
class LimitsSettings:
    max_message_bytes: int = 50 * 1024 * 1024
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_zip_entries: int = 2000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_pdf_pages: int = 200
    # PDF pages laid out to read the form; the text of the pages after them is kept for search
    # only (a 120-page report with appendices is read well within the parse time).
    pdf_layout_pages: int = 30
    parse_timeout_seconds: float = 30.0
    # Normal reports need about 50 MB; a PDF bomb is stopped well before the service suffers.
    parse_memory_mb: int = 256
    # Per message (intake): a header block larger than this is not parsed at all (the standard
    # parser's cost grows faster than linearly with a header's length).
    max_header_bytes: int = 64 * 1024
    # Attachments examined per message, and the extraction time all of them may take together;
    # the rest are quarantined with the reason. Worst case per message: this plus one parse.
    max_attachments_per_message: int = 20
    max_extraction_seconds_per_message: float = 30.0


@dataclass(frozen=True, kw_only=True)
class MailboxSettings:
    name: str
    type: Literal["imap", "maildir", "graph"] = "imap"
    host: str = ""
    port: int = 993
    security: Security = "ssl"
    username: str = ""
    password_env: str = ""
    ca_file: str | None = field(default=None, metadata=PATH)
    folder: str = "INBOX"
    # Maildir source: the folder holding cur/ new/ tmp/.
    path: str = field(default="", metadata=PATH)
    # After a message is registered (both optional; nothing is ever deleted or expunged).
    processed_keyword: str | None = "$CasefileProcessed"
    processed_folder: str | None = None
    timeout_seconds: float = 60.0
    batch_size: int = 50
    poll_interval_seconds: int = 120
    enabled: bool = True
    # "oauth2": log in with a token from the [oauth2.NAME] credential named by `oauth2`.
    auth: AuthMode = "password"
    oauth2: str = ""
    # Wait in IMAP IDLE between polls when the server offers it (intake serve).
    idle: bool = True
    # type = "graph": Microsoft Graph's base URL (username is the mailbox's UPN or object id).
    graph_url: str = GRAPH_URL

    def password(self) -> str:
        if not self.password_env:
            return ""
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError.at(
                f"mailboxes[{self.name}].password_env", "env_not_set", name=self.password_env
            )
        return value


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    transport: Literal["smtp", "folder", "graph"] = "smtp"
    host: str = "localhost"
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    ca_file: str | None = field(default=None, metadata=PATH)
    timeout_seconds: float = 60.0
    # One mail's whole SMTP exchange, however slowly the server answers (timeout_seconds is
    # per read): past it the connection is cut and the mail waits for the next flush.
    deadline_seconds: float = 120.0
    from_address: str = "kontakt@example.se"
    from_name: str = ""
    # The folder transport writes one .eml file per mail here.
    folder: str = field(default="var/outbox", metadata=PATH)
    auth: AuthMode = "password"
    oauth2: str = ""
    # transport = "graph": sendMail as `username` at this Graph base URL.
    graph_url: str = GRAPH_URL

    def password(self) -> str | None:
        if not self.password_env:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError.at("smtp.password_env", "env_not_set", name=self.password_env)
        return value


@dataclass(frozen=True, kw_only=True)
class OAuth2Settings:
    """A named OAuth2 credential ([oauth2.NAME]) that mailboxes and [smtp] refer to."""

    provider: Literal["microsoft", "google", "generic"]
    tenant: str = ""
    token_url: str = ""
    client_id: str = ""
    client_secret_env: str = ""
    # Microsoft: a certificate instead of a secret (PEM certificate and its private key).
    certificate_file: str = field(default="", metadata=PATH)
    private_key_file: str = field(default="", metadata=PATH)
    # Google: the service account's JSON key file.
    key_file: str = field(default="", metadata=PATH)
    scope: str = ""
    secret_expires: dt.date | None = None
    # Alternative: a command that prints an access token.
    token_command: str = ""
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.token_command:
            return
        if self.provider == "microsoft" and not (self.tenant or self.token_url):
            raise _Invalid("tenant", "needed_for_provider", provider="microsoft")
        if self.provider == "generic" and not self.token_url:
            raise _Invalid("token_url", "token_url_needed")
        if self.provider == "google" and not self.key_file:
            raise _Invalid("key_file", "needed_for_provider", provider="google")
        if self.provider != "google" and not self.client_id:
            raise _Invalid("client_id", "missing_key")
        if self.provider == "microsoft" and bool(self.certificate_file) != bool(
            self.private_key_file
        ):
            raise _Invalid("certificate_file", "certificate_pair")
        if self.provider != "google" and not (self.client_secret_env or self.private_key_file):
            raise _Invalid("client_secret_env", "secret_needed")


@dataclass(frozen=True, kw_only=True)
class MailSettings:
    """Rules for automatic mail."""

    max_per_recipient_per_day: int = 10
    # Sending pace: at most this many mails a minute, evenly spaced (0: no limit). Microsoft 365
    # accepts 30 a minute from one mailbox.
    max_per_minute: int = 0
    loop_header: str = "X-Casefile-Loop"
    templates_dir: str | None = field(default=None, metadata=PATH)
    signature: str = ""
    send_acknowledgements: bool = True
    retry_base_seconds: int = 60
    retry_max_attempts: int = 12
    # Sender trust (issue 12): whose Authentication-Results to believe, and whom to answer.
    trusted_authserv_id: str = ""
    acknowledge: Literal["verified", "unless_failed", "always"] = "unless_failed"
    # MAIL FROM of automatic mail: empty is the null reverse-path <> (RFC 3834).
    envelope_from: str = ""

    def __post_init__(self) -> None:
        # smtplib cannot put a non-ASCII address in MAIL FROM: found only while sending, it made
        # every flush mark one mail uncertain. Said here, at start, instead.
        address = self.envelope_from
        if address and (
            not address.isascii() or address.count("@") != 1 or any(c.isspace() for c in address)
        ):
            raise _Invalid("envelope_from", "envelope_from_ascii", value=address)


@dataclass(frozen=True, kw_only=True)
class RemindersSettings:
    # A case's report is due this many days after the insats period ends, unless set by hand.
    due_after_period_end_days: int = 60
    # Reminder steps relative to the due date, in days (negative: before).
    steps_days: list[int] = field(default_factory=lambda: [-14, 0, 14])
    completion_repeat_days: int = 14
    completion_max_requests: int = 3
    business_days: bool = True
    staff_address: str | None = None
    digest_cron: str = "0 7 * * mon-fri"
    reminders_cron: str = "0 8 * * mon-fri"


@dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    outbox_interval_seconds: int = 60
    misfire_grace_seconds: int = 300
    # What a second instance does: wait for the lock, or exit.
    on_lock_busy: Literal["wait", "exit"] = "exit"
    lock_path: str = field(default="var/casefile.lock", metadata=PATH)
    stale_poll_seconds: int = 3600
    # `intake status` exits 1 after this many failed delivery attempts in a row (the outbox).
    max_failed_deliveries: int = 3
    stop_timeout_seconds: int = 30
    # IMAP IDLE is ended and started again this often (RFC 2177: before 29 minutes).
    idle_renew_seconds: int = 1500


@dataclass(frozen=True, kw_only=True)
class ExtractionSettings:
    # Extra form definitions (TOML files, see config/forms/) besides the shipped ones.
    forms: list[str] = field(default_factory=list, metadata=PATH)
    # Share of a form's labels that must be found before it counts as recognised; below it no
    # completion request (komplettering) is sent and staff are told the form was not recognised.
    min_confidence: float = 0.6
    # Scans and photos (image-only PDF pages, JPEG/PNG/TIFF) are read with tesseract: its
    # language models, and the most pages of one file read so (the rest stay unread).
    ocr: bool = True
    ocr_languages: str = "swe+eng"
    ocr_max_pages: int = 40
    # ODT, DOC and RTF converted to DOCX with LibreOffice headless (libreoffice-writer-nogui).
    convert: bool = True


@dataclass(frozen=True, kw_only=True)
class SignaturesSettings:
    # PEM bundles of the root certificates the office trusts for e-signatures on reports
    # (validated offline, without fetching); none: every intact e-signature is "unverified".
    trust_roots: list[str] = field(default_factory=list, metadata=PATH)


@dataclass(frozen=True, kw_only=True)
class ExportSettings:
    """casefile export archive: the METS csip:CONTENTINFORMATIONTYPE (CSIP vocabulary)."""

    content_information_type: Literal["citserms_v2_1", "citserms_v3_0", "ERMS"] = "citserms_v2_1"


@dataclass(frozen=True, kw_only=True)
class WebUser:
    """One person of `[web.users]`: the initials every act is signed and logged with."""

    initials: str
    role: Literal["läsare", "handläggare", "registrator"] = "läsare"

    def __post_init__(self) -> None:
        from casefile.initials import valid_initials

        if valid_initials(self.initials) != self.initials:
            raise _Invalid("initials", "invalid_value")


@dataclass(frozen=True, kw_only=True)
class WebSettings:
    """casefile web: who logs in and how, and whether the public diary is served."""

    auth: Literal["proxy", "oidc", "local"] = "proxy"
    proxy_user_header: str = "X-Remote-User"
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    public_diary: bool = False
    users: dict[str, WebUser] = field(default_factory=dict)
    # auth = "oidc": the provider (its /.well-known/openid-configuration), this client, the
    # address the provider sends the user back to (…/oidc/callback), and the ID token's claim
    # that names the user in [web.users] (Entra ID: preferred_username or email).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret_file: str | None = field(default=None, metadata=PATH)
    oidc_redirect_url: str = ""
    oidc_user_claim: str = "preferred_username"


@dataclass(frozen=True, kw_only=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    mailboxes: list[MailboxSettings] = field(default_factory=list)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    reminders: RemindersSettings = field(default_factory=RemindersSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    oauth2: dict[str, OAuth2Settings] = field(default_factory=dict)
    extraction: ExtractionSettings = field(default_factory=ExtractionSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    signatures: SignaturesSettings = field(default_factory=SignaturesSettings)
    web: WebSettings = field(default_factory=WebSettings)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Validate a parsed configuration; raises ConfigError naming the first bad key."""
        try:
            settings = _build(cls, data, "")
        except _Invalid as exc:
            raise ConfigError.at(exc.key, exc.problem, **exc.fields) from None
        names = [box.name for box in settings.mailboxes]
        if len(names) != len(set(names)):
            raise ConfigError.at("mailboxes.name", "mailbox_names")
        _check_oauth2_refs(settings)
        return settings

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_NUMBER_FIELDS = frozenset({"prefix", "yy", "yyyy", "case", "doc"})


def _check_number_format(key: str, fmt: str, required: set[str], forbidden: set[str]) -> None:
    """A number must be unique for ever: the year is part of it, since serials restart with
    every year. Checked at load, so a bad format never reaches the first registration."""
    import string

    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(fmt) if name is not None}
    except ValueError as exc:
        raise _Invalid(key, "format_invalid", error=exc) from None
    unknown = fields - _NUMBER_FIELDS
    if unknown:
        names = ", ".join(f"{{{n}}}" for n in sorted(unknown))
        raise _Invalid(key, "format_unknown_field", names=names)
    if not fields & {"yy", "yyyy"}:
        raise _Invalid(key, "format_without_year")
    for name in sorted(required - fields):
        raise _Invalid(key, "format_needs", name=name)
    for name in sorted(forbidden & fields):
        raise _Invalid(key, "format_forbids", name=name)


def _database_url(database: DatabaseSettings, folder: Path) -> str:
    """The URL to connect with: a relative SQLite path anchored at the configuration file's
    folder (not the working folder), and the password from the environment when asked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database.url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError.at("database.url", "database_url", error=exc) from None
    from casefile.db.engine import UnsupportedDatabase, with_driver

    try:
        url = with_driver(url)
    except UnsupportedDatabase as exc:
        raise ConfigError.at("database.url", exc.problem, **exc.fields) from None
    if url.get_backend_name() == "sqlite":
        if database.password_env:
            raise ConfigError.at("database.password_env", "password_env_sqlite")
        path = url.database or ""
        relative = path and path != ":memory:" and not path.startswith("file:")
        if relative and not Path(path).is_absolute():
            url = url.set(database=os.path.normpath(folder / path))
    elif database.password_env:
        if url.password:
            raise ConfigError.at("database.password_env", "password_twice")
        password = os.environ.get(database.password_env)
        if password is None:
            raise ConfigError.at("database.password_env", "env_not_set", name=database.password_env)
        url = url.set(password=password)
    return url.render_as_string(hide_password=False)


def _anchored(value: T, folder: Path) -> T:
    """`value` with every relative PATH setting in it (nested, in lists and tables) taken from
    `folder`; empty and absent paths stay as they are ("not set")."""
    if isinstance(value, list):
        return typing.cast(T, [_anchored(item, folder) for item in value])
    if isinstance(value, dict):
        return typing.cast(T, {key: _anchored(item, folder) for key, item in value.items()})
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for spec in dataclasses.fields(value):
        current = getattr(value, spec.name)
        if spec.metadata.get("path"):
            new = (
                [_anchor_path(p, folder) for p in current]
                if isinstance(current, list)
                else _anchor_path(current, folder)
            )
        else:
            new = _anchored(current, folder)
        if new != current:
            changes[spec.name] = new
    return dataclasses.replace(value, **changes) if changes else value


def _anchor_path(path: str | None, folder: Path) -> str | None:
    if not path or os.path.isabs(path):
        return path
    return os.path.normpath(folder / path)


def _check_oauth2_refs(settings: Settings) -> None:
    """auth = "oauth2" needs `oauth2` naming an [oauth2.NAME] section, and TLS: a bearer token
    sent in clear is as good as the password to whoever reads the line (loopback excepted)."""
    users: list[tuple[str, AuthMode, str, Security, str]] = [
        # A Maildir is read from disk: nothing is sent.
        (
            f"mailboxes[{b.name}]",
            b.auth,
            b.oauth2,
            b.security if b.type == "imap" else "ssl",
            b.host,
        )
        for b in settings.mailboxes
    ]
    smtp = settings.smtp
    if smtp.transport == "smtp":
        users.append(("smtp", smtp.auth, smtp.oauth2, smtp.security, smtp.host))
    graph = [
        (f"mailboxes[{b.name}]", b.oauth2, b.graph_url, b.username)
        for b in settings.mailboxes
        if b.type == "graph"
    ]
    if smtp.transport == "graph":
        graph.append(("smtp", smtp.oauth2, smtp.graph_url, smtp.username or ""))
    for where, name, url, user in graph:
        _check_graph(settings, where, name, url, user)
    for where, auth, name, security, host in users:
        if auth != "oauth2" or where in {g[0] for g in graph}:
            continue
        if security == "none" and not _loopback(host):
            raise ConfigError.at(f"{where}.security", "oauth2_cleartext", host=host)
        if not name:
            raise ConfigError.at(f"{where}.oauth2", "oauth2_name_missing")
        if name not in settings.oauth2:
            known = ", ".join(sorted(settings.oauth2)) or _problem("oauth2_none_defined")
            raise ConfigError.at(f"{where}.oauth2", "oauth2_no_section", name=name, known=known)


def _check_graph(settings: Settings, where: str, name: str, url: str, user: str) -> None:
    """A Graph mailbox or sendMail always uses an OAuth2 credential with the Graph scope, and
    https (plain http only to loopback, as the tests' server)."""
    import urllib.parse

    if not name:
        raise ConfigError.at(f"{where}.oauth2", "oauth2_name_missing")
    if name not in settings.oauth2:
        known = ", ".join(sorted(settings.oauth2)) or _problem("oauth2_none_defined")
        raise ConfigError.at(f"{where}.oauth2", "oauth2_no_section", name=name, known=known)
    cred = settings.oauth2[name]
    if cred.scope != GRAPH_SCOPE and not cred.token_command:
        raise ConfigError.at(
            f"oauth2.{name}.scope", "graph_scope", scope=GRAPH_SCOPE, name=name, value=cred.scope
        )
    if not user:
        raise ConfigError.at(f"{where}.username", "graph_username")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
        raise ConfigError.at(f"{where}.graph_url", "graph_cleartext", url=url)


def _loopback(host: str) -> bool:
    """localhost or a loopback address: nothing leaves the machine."""
    import ipaddress

    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def resolve_config_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH


class _Invalid(Exception):
    """A bad value at `key`: the problem (a key of _PROBLEMS) and its fields, put into words
    once, by Settings.from_dict."""

    def __init__(self, key: str, problem: str, **fields: Any) -> None:
        super().__init__(key, problem)
        self.key, self.problem, self.fields = key, problem, fields

    def __str__(self) -> str:
        return f"{self.key}: {_problem(self.problem, **self.fields)}"


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def _coerce(kind: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        errors: list[_Invalid] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, key)
            except _Invalid as exc:
                errors.append(exc)
        if not errors:
            raise _Invalid(key, "invalid_value")
        raise _Invalid(key, errors[0].problem, **errors[0].fields)
    if origin is Literal:
        allowed = typing.get_args(kind)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise _Invalid(key, "not_one_of", choices=choices, value=value)
        return value
    if origin is dict:
        _, item = typing.get_args(kind)
        if not isinstance(value, dict):
            raise _Invalid(key, "not_table")
        return {str(k): _coerce(item, v, f"{key}.{k}") for k, v in value.items()}
    if kind is dt.date:
        if isinstance(value, str):  # from to_json()
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise _Invalid(key, "not_date", value=value) from None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise _Invalid(key, "not_date", value=value)
        return value
    if origin is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise _Invalid(key, "not_list")
        return [_coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise _Invalid(key, "not_table")
        return _build(kind, value, key + ".")
    if kind is bool:
        if not isinstance(value, bool):
            raise _Invalid(key, "not_bool", value=value)
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(key, "not_int", value=value)
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(key, "not_number", value=value)
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise _Invalid(key, "not_string", value=value)
        return value
    raise _Invalid(key, "unsupported_type", name=_type_name(kind))


def _build(cls: type[T], data: dict[str, Any], prefix: str) -> T:
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            raise _Invalid(f"{prefix}{key}", "unknown_key")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name in data:
            values[name] = _coerce(hints[name], data[name], f"{prefix}{name}")
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise _Invalid(f"{prefix}{name}", "missing_key")
    try:
        return cls(**values)
    except _Invalid as exc:
        raise _Invalid(f"{prefix}{exc.key}", exc.problem, **exc.fields) from None


def load_settings(path: str | Path) -> Settings:
    """Read and validate the configuration file; raise ConfigError with one line."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError.at(str(path), "file_not_found") from None
    except IsADirectoryError:
        raise ConfigError.at(str(path), "file_is_folder") from None
    except UnicodeDecodeError as exc:
        raise ConfigError.at(str(path), "file_not_utf8", start=exc.start) from None
    except OSError as exc:
        raise ConfigError.at(str(path), "file_unreadable", reason=exc.strerror or exc) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.at(str(path), "file_not_toml", error=exc) from None
    folder = path.absolute().parent
    try:
        settings = _anchored(Settings.from_dict(raw), folder)
        url = _database_url(settings.database, folder)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if url == settings.database.url:
        return settings
    return settings.replace(database=dataclasses.replace(settings.database, url=url))
