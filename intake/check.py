"""`intake check`: everything the service needs, tried without changing anything.

Configuration; the database and its schema version; the archive folder; per mailbox the token,
the login, the folder and the processed folder; SMTP connect, TLS and login (no mail is sent);
every mail template rendered with sample data. One line per check, saying what to do when it
fails. A login that works here clears the login backoff, so the service tries again at once.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casefile.app import App
from casefile.config import MailboxSettings, OAuth2Settings, Settings
from intake.auth.backoff import SMTP_KEY, for_settings, mailbox_key
from intake.auth.tokens import CACHE, TokenError

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    # Works now, but needs the operator before long (a secret about to expire): ⚠, exit 0
    # unless `intake check --strict`.
    warning: bool = False

    @property
    def status(self) -> str:
        """ "ok" | "warning" | "error", as --json says it."""
        if not self.ok:
            return "error"
        return "warning" if self.warning else "ok"

    def line(self) -> str:
        mark = {"ok": "✓", "warning": "⚠", "error": "✗"}[self.status]
        return f"{mark} {label(self.name)}: {self.detail}"


# The words of the checks' names (`brevlåda kontakt: inloggning`), for CASEFILE_LANG=en. The
# name stays Swedish in --json, where it identifies the check.
_LABELS_EN = {
    "konfiguration": "configuration",
    "databas": "database",
    "lagring": "storage",
    "brevlåda": "mailbox",
    "inloggning": "login",
    "mapp": "folder",
    "mapp för hanterad post": "folder for handled mail",
    "behörighet": "permission",
    "giltighet": "validity",
    "anslutning": "connection",
    "mall": "template",
    "SMTP (mapp)": "SMTP (folder)",
}


def label(name: str) -> str:
    """A check's name as the terminal shows it: Swedish, or English under CASEFILE_LANG=en.
    Names are "what" or "what: part", and "what" may be "brevlåda NAME" or "mall KIND"."""
    from casefile.i18n import language

    if language() != "en":
        return name
    what, colon, part = name.partition(": ")
    head, space, rest = what.partition(" ")
    if what in _LABELS_EN:
        what = _LABELS_EN[what]
    elif head in ("brevlåda", "mall") and rest:
        what = f"{_LABELS_EN[head]}{space}{rest}"
    return f"{what}{colon}{_LABELS_EN.get(part, part)}"


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.registry.zone).date()


def expiry_warnings(settings: Settings, today: dt.date | None = None) -> list[str]:
    """One line per OAuth2 secret that expires within 30 days (or has), for status and digest."""
    today = today or _today(settings)
    lines = []
    for name, cfg in sorted(settings.oauth2.items()):
        if cfg.secret_expires is None:
            continue
        days = (cfg.secret_expires - today).days
        if days > EXPIRY_WARNING_DAYS:
            continue
        what = (
            "certifikatet"
            if cfg.private_key_file and not cfg.client_secret_env
            else ("klienthemligheten")
        )
        when = (
            f"gick ut {cfg.secret_expires.isoformat()}"
            if days < 0
            else f"går ut {cfg.secret_expires.isoformat()} (om {days} dagar)"
        )
        lines.append(
            f"oauth2 {name}: {what} {when}; skapa en ny i appregistreringen och uppdatera "
            "secret_expires"
        )
    return lines


def _config_checks(settings: Settings, path: str) -> Iterator[Check]:
    yield Check("konfiguration", True, f"{path} läst")
    for name, cfg in sorted(settings.oauth2.items()):
        if cfg.secret_expires is None:
            continue
        warning = [w for w in expiry_warnings(settings) if w.startswith(f"oauth2 {name}:")]
        if warning:
            # Expired: logins fail now (✗); expiring within 30 days: a warning (⚠).
            expired = cfg.secret_expires < _today(settings)
            detail = warning[0].split(": ", 1)[1]
            yield Check(f"oauth2 {name}: giltighet", not expired, detail, warning=not expired)
        else:
            yield Check(
                f"oauth2 {name}: giltighet",
                True,
                f"hemligheten gäller till {cfg.secret_expires.isoformat()}",
            )


def _database_check(app: App) -> Check:
    from sqlalchemy.exc import SQLAlchemyError

    from casefile.db.migrate import current_revision, head_revision

    try:
        current = current_revision(app.engine)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return Check("databas", False, f"kan inte nås ({first}); kontrollera database.url")
    head = head_revision()
    if current is None:
        return Check("databas", False, "nåbar men tom; kör casefile init")
    if current != head:
        return Check(
            "databas",
            False,
            f"schemaversion {current}, programmet behöver {head}; kör casefile init",
        )
    return Check("databas", True, f"nåbar, schemaversion {current} (aktuell)")


def _writable(path: Path, what: str, key: str) -> Check:
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check(what, False, f"{existing} är ingen mapp; ändra {key}")
    if existing != path:
        if os.access(existing, os.W_OK | os.X_OK):
            return Check(what, True, f"{path} skapas vid behov ({existing} är skrivbar)")
        return Check(what, False, f"{path} finns inte och {existing} är inte skrivbar")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".casefile-check-"):
            pass
    except OSError as exc:
        return Check(what, False, f"kan inte skriva i {path} ({exc.strerror}); ändra rättigheterna")
    return Check(what, True, f"{path} är skrivbar")


def _token_check(box: MailboxSettings | None, name: str, cfg: OAuth2Settings, user: str) -> Check:
    label = f"brevlåda {box.name}: token" if box else "SMTP: token"
    started = time.monotonic()
    try:
        CACHE.token(name, cfg, user, renew=True)
    except TokenError as exc:
        return Check(label, False, str(exc))
    return Check(label, True, f"hämtad från oauth2 {name} på {time.monotonic() - started:.1f} s")


def _mailbox_checks(app: App, box: MailboxSettings) -> Iterator[Check]:
    if box.type == "maildir":
        path = Path(box.path)
        ok = (path / "new").is_dir() and (path / "cur").is_dir()
        yield Check(
            f"brevlåda {box.name}",
            ok,
            f"Maildir {path} finns" if ok else f"{path} är ingen Maildir (new/ och cur/ saknas)",
        )
        return
    if box.type == "graph":
        from intake.check_graph import mailbox_checks

        yield from mailbox_checks(app.settings, box)
        return
    from imapclient.exceptions import IMAPClientError

    from casefile.config import ConfigError
    from intake.sources.base import SourceError
    from intake.sources.imap import ImapSource

    settings = app.settings
    if box.auth == "oauth2":
        token = _token_check(box, box.oauth2, settings.oauth2[box.oauth2], box.username)
        yield token
        if not token.ok:
            return
    try:
        # No backoff here: the operator asks for a try now.
        source = ImapSource.for_settings(settings, box, backoff=None)
        client = source.connect()
    except (SourceError, ConfigError) as exc:
        yield Check(
            f"brevlåda {box.name}: inloggning",
            False,
            str(exc).removeprefix(f"brevlåda {box.name}: "),
        )
        return
    for_settings(settings).succeeded(mailbox_key(box.name))
    how = f" ({source.mechanism})" if source.mechanism else ""
    yield Check(f"brevlåda {box.name}: inloggning", True, f"inloggad som {box.username}{how}")
    try:
        yield _folder_check(client, box)
        if box.processed_folder:
            yield _processed_check(client, box, box.processed_folder)
        idle = client.has_capability("IDLE")
        yield Check(
            f"brevlåda {box.name}: IDLE",
            True,
            "erbjuds: ny post hämtas direkt"
            if idle and box.idle
            else f"används inte; hämtar var {box.poll_interval_seconds} s",
        )
    except IMAPClientError as exc:
        yield Check(f"brevlåda {box.name}", False, f"förbindelsen bröts ({exc})")
    finally:
        try:
            client.logout()
        except Exception:
            client.shutdown()


def _folder_check(client: Any, box: MailboxSettings) -> Check:
    name = f"brevlåda {box.name}: mapp"
    if client.folder_exists(box.folder):
        return Check(name, True, f"{box.folder} finns")
    return Check(name, False, f"{box.folder} finns inte; ändra mailboxes[{box.name}].folder")


def _processed_check(client: Any, box: MailboxSettings, folder: str) -> Check:
    name = f"brevlåda {box.name}: mapp för hanterad post"
    key = f"mailboxes[{box.name}].processed_folder"
    if folder == box.folder:
        return Check(name, False, f"{folder} är samma mapp som folder; välj en annan i {key}")
    if client.folder_exists(folder):
        return Check(name, True, f"{folder} finns")
    # Can it be created? (IMAP has no dry run: check the name and the parent's flags.)
    delimiter = "/"
    listed = client.list_folders(directory="", pattern="")
    if listed and listed[0][1]:
        raw = listed[0][1]
        delimiter = raw.decode() if isinstance(raw, bytes) else str(raw)
    parts = folder.split(delimiter)
    if any(not part for part in parts):
        return Check(
            name,
            False,
            f"{folder!r} är inget giltigt mappnamn (servern skiljer mappar med {delimiter!r}); "
            f"ändra {key}",
        )
    parent = delimiter.join(parts[:-1])
    if parent:
        for flags, _, _ in client.list_folders(pattern=parent):
            if b"\\Noinferiors" in flags:
                return Check(name, False, f"{parent} kan inte ha undermappar; ändra {key}")
    return Check(name, True, f"{folder} finns inte än; skapas när första meddelandet flyttas")


def _smtp_checks(app: App) -> Iterator[Check]:
    settings = app.settings
    s = settings.smtp
    if s.transport == "folder":
        yield _writable(Path(s.folder), "SMTP (mapp)", "smtp.folder")
        return
    if s.transport == "graph":
        from intake.check_graph import smtp_checks

        yield from smtp_checks(settings)
        return
    from intake.outgoing.transport import (
        DeliveryError,
        _login,
        _oauth2_login,
        tls_context,
    )

    oauth2 = settings.oauth2.get(s.oauth2) if s.auth == "oauth2" else None
    if oauth2 is not None:
        token = _token_check(None, s.oauth2, oauth2, s.username or "")
        yield token
        if not token.ok:
            return
    if s.security != "none" and s.ca_file and not os.path.isfile(s.ca_file):
        yield Check("SMTP: TLS", False, f"ca_file {s.ca_file} finns inte (smtp.ca_file)")
        return
    smtp: smtplib.SMTP | None = None
    step = "SMTP: anslutning"
    try:
        if s.security == "ssl":
            step = "SMTP: TLS"
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout_seconds, context=tls_context(s)
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        smtp.ehlo()
        yield Check("SMTP: anslutning", True, f"{s.host}:{s.port} svarar")
        if s.security == "starttls":
            step = "SMTP: TLS"
            smtp.starttls(context=tls_context(s))
            smtp.ehlo()
        if s.security != "none":
            yield Check("SMTP: TLS", True, "certifikatet godkänt")
        step = "SMTP: inloggning"
        if oauth2 is not None:
            _oauth2_login(smtp, s, oauth2, CACHE)
            for_settings(settings).succeeded(SMTP_KEY)
            yield Check(step, True, f"AUTH XOAUTH2 som {s.username} godtogs")
        elif s.username:
            _login(smtp, s.host, s.username, s.password() or "")
            for_settings(settings).succeeded(SMTP_KEY)
            yield Check(step, True, f"inloggad som {s.username}")
        else:
            yield Check(step, True, "ingen inloggning konfigurerad")
    except DeliveryError as exc:
        yield Check(step, False, str(exc))
    except smtplib.SMTPAuthenticationError as exc:
        from intake.auth import explain

        raw = exc.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        text = " ".join(text.split())[:200]
        yield Check(
            step, False, explain.smtp_refused(exc.smtp_code, text, None, s.username or "", s.host)
        )
    except Exception as exc:
        from intake.auth import explain

        detail = f"{s.host}:{s.port}: {exc or type(exc).__name__}"
        yield Check(step, False, explain.with_tls_hint(detail, exc, "SMTP", "smtp", s.host, s.port))
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _template_checks(app: App) -> Iterator[Check]:
    from casefile.db.models import Case, Document
    from intake.outgoing.content import (
        komplettering_context,
        kvittens_context,
        paminnelse_context,
    )
    from intake.outgoing.render import _render_with, environments

    settings = app.settings
    today = _today(settings)
    case = Case(number="SFG 26-01", title="Exempelinsatsen", organisation="Exempelkommunen")
    case.period_end = today
    document = Document(
        diarienummer="SFG 26-01.01",
        received_date=today,
        title="Exempelinsatsen",
        organisation="Exempelkommunen",
        kind="slutrapport",
        status="incomplete",
        findings=[{"code": "unsigned", "message": "osignerad"}],
        fields={},
    )
    document.case = case
    contexts: dict[str, Callable[[], dict[str, Any]]] = {
        "kvittens": lambda: kvittens_context(settings, document),
        "komplettering": lambda: komplettering_context(settings, document),
        "paminnelse": lambda: paminnelse_context(settings, case, today, today),
        "digest": lambda: _digest_context(app, today),
    }
    chosen, _ = environments(settings.mail.templates_dir)
    where = f" (med {settings.mail.templates_dir})" if settings.mail.templates_dir else ""
    for kind, make in contexts.items():
        try:
            _render_with(chosen, kind, make())
        except Exception as exc:
            yield Check(f"mall {kind}", False, f"{type(exc).__name__}: {exc}"[:200])
        else:
            yield Check(f"mall {kind}", True, f"ämne, text och HTML renderas{where}")


def _digest_context(app: App, today: dt.date) -> dict[str, Any]:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from casefile.db.engine import read_only
    from intake.outgoing.content import common
    from intake.outgoing.digest import digest_context

    try:
        with read_only(app.engine) as conn, Session(bind=conn) as session:
            return digest_context(session, app.settings, today)
    except SQLAlchemyError:
        return {
            **common(app.settings),
            "html_title": "Sammanställning",
            "today": today,
            "unsigned": [],
            "quarantined": [],
            "overdue": [],
            "mail_problems": [],
            "total": 0,
        }


def run_checks(app: App, config_path: str) -> list[Check]:
    settings = app.settings
    checks = list(_config_checks(settings, config_path))
    checks.append(_database_check(app))
    checks.append(_writable(Path(settings.storage.path), "lagring", "storage.path"))
    for box in settings.mailboxes:
        if box.enabled:
            checks.extend(_mailbox_checks(app, box))
    checks.extend(_smtp_checks(app))
    checks.extend(_template_checks(app))
    return checks


def failed(checks: list[Check], strict: bool = False) -> bool:
    """Exit 1: a check failed, or with `strict` a warning was given."""
    return any(c.status == "error" or (strict and c.status == "warning") for c in checks)


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {
        "ok": all(c.ok for c in checks),
        "checks": [
            {"name": c.name, "status": c.status, "ok": c.ok, "detail": c.detail} for c in checks
        ],
    }
