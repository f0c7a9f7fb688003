"""The configuration's settings: plain frozen dataclasses, one a TOML table, with their defaults
and the checks that belong to one value. Reading the file is casefile/config/loading.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casefile.config.messages import ConfigError, _Invalid

Security = Literal["ssl", "starttls", "none"]
AuthMode = Literal["password", "oauth2"]
GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# A path setting: relative values are taken from the configuration file's folder at load
# (load_settings), as the SQLite path is, never from the working folder. Settings built in code
# (no file) keep them as written.
PATH: dict[str, bool] = {"path": True}

# Plain frozen dataclasses, validated by the small loader in loading.py: the staff
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
    # type = "graph": an Outlook category set after registration (with processed_folder or
    # instead of it: then the message stays in the folder, marked).
    processed_category: str | None = None
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
