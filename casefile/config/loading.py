"""Loading the configuration: the TOML file read, relative paths anchored at its folder, every
value checked against the settings' types (a small loader: a validation library's start-up cost
was a third of the staff CLI's), and the checks across tables."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

from casefile.config.messages import ConfigError, _Invalid, _problem
from casefile.config.settings import GRAPH_SCOPE, AuthMode, DatabaseSettings, Security, Settings

DEFAULT_CONFIG_PATH = Path("config/casefile.toml")
CONFIG_ENV = "CASEFILE_CONFIG"

T = TypeVar("T")


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
        settings = _anchored(settings_from_dict(raw), folder)
        url = _database_url(settings.database, folder)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if url == settings.database.url:
        return settings
    return settings.replace(database=dataclasses.replace(settings.database, url=url))


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Validate a parsed configuration; raises ConfigError naming the first bad key."""
    try:
        settings = _build(Settings, data, "")
    except _Invalid as exc:
        raise ConfigError.at(exc.key, exc.problem, **exc.fields) from None
    names = [box.name for box in settings.mailboxes]
    if len(names) != len(set(names)):
        raise ConfigError.at("mailboxes.name", "mailbox_names")
    _check_oauth2_refs(settings)
    return settings


def settings_from_json(text: str) -> Settings:
    """The settings a parent process handed to a child as `Settings.to_json()`."""
    return settings_from_dict(json.loads(text))
