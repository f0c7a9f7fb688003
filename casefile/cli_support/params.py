"""The App of an invocation, and the options and parameter types every command shares: --config,
--json, --by, --limit, dates, references, states and row numbers."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from casefile.cli_support.output import _say, safe_text
from casefile.errors import UserError
from casefile.initials import valid_initials
from casefile.states import Coded, InvalidState, parse_state

if TYPE_CHECKING:
    from casefile.app import App

F = TypeVar("F", bound=Callable[..., Any])

QUOTE_HINT = 'skriv numret inom citattecken: "SFG 26-01"'


def get_app(ctx: click.Context) -> App:
    """The App of this invocation, built once from the root command's --config."""
    from casefile.app import App
    from casefile.i18n import set_default_language

    root = ctx.find_root()
    app = root.obj
    if not isinstance(app, App):
        app = root.obj = App.from_config(root.meta.get("config_path"))
        set_default_language(app.settings.registry.language)
    return app


CONFIG_HELP = "Konfigurationsfil (standard: $CASEFILE_CONFIG, annars config/casefile.toml)."


def config_option(func: F) -> F:
    return click.option("--config", "config_path", type=FILE_WORD, envvar=None, help=CONFIG_HELP)(
        func
    )


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Skriv ut ett JSON-dokument.")(func)


def _resolve_actor(value: str | None, login_fallback: bool) -> str:
    """--by, else $CASEFILE_USER, else (when allowed) the login name; always valid initials."""
    sources: list[tuple[str, str | None]] = [
        ("--by", value),
        ("CASEFILE_USER", os.environ.get("CASEFILE_USER") or None),
    ]
    if login_fallback:
        try:
            login: str | None = getpass.getuser()
        except (KeyError, OSError):
            login = None
        sources.append(("inloggningsnamnet", login))
    for source, text in sources:
        if text is None:
            continue
        initials = valid_initials(text)
        if initials is None:
            raise click.BadParameter(
                f"{safe_text(text)!r} ({source}) är inga initialer: 1–8 bokstäver eller "
                "siffror, t.ex. AKH",
                param_hint="--by",
            )
        return initials
    raise click.MissingParameter(
        "ange dina initialer med --by eller i miljövariabeln CASEFILE_USER",
        param_hint="--by",
    )


@overload
def by_option(func: F) -> F: ...


@overload
def by_option(*, login_fallback: bool = True, help: str | None = None) -> Callable[[F], F]: ...


def by_option(
    func: F | None = None, *, login_fallback: bool = True, help: str | None = None
) -> F | Callable[[F], F]:
    """`--by INITIALS`, passed to the command as `actor` (str, capitals, already checked).

    Defaults to $CASEFILE_USER, then the login name (unless login_fallback=False, as for a
    signature, which must be given on purpose). Anything but 1-8 letters and digits is a
    usage error (exit 2): a newline or a space must never reach the audit log.
    """

    def decorate(f: F) -> F:
        default_help = "Dina initialer (standard: $CASEFILE_USER"
        default_help += ", annars inloggningsnamnet)." if login_fallback else ")."
        return click.option(
            "--by",
            "actor",
            metavar="INITIALER",
            help=help or default_help,
            callback=lambda _ctx, _param, value: _resolve_actor(value, login_fallback),
        )(f)

    return decorate(func) if func is not None else decorate


def _registry_zone(ctx: click.Context | None) -> dt.tzinfo:
    """The registry's time zone when the configuration can be read, else Swedish time."""
    from zoneinfo import ZoneInfo

    from casefile.config import RegistrySettings

    if ctx is not None:
        try:
            return get_app(ctx).settings.registry.zone
        except UserError:
            pass  # the command itself reports the configuration error
    return ZoneInfo(RegistrySettings().timezone)


class Word(click.ParamType[str]):
    """Plain text whose placeholder in help and usage is a word in the output's language
    (`FÄLT`, or `FIELD` under CASEFILE_LANG=en)."""

    name = "text"

    def __init__(self, swedish: str, english: str) -> None:
        self.words = (swedish, english)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return _say(*self.words)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return str(value)


FILE_WORD = Word("FIL", "FILE")


class DateType(click.ParamType[dt.date]):
    """An ISO date (ÅÅÅÅ-MM-DD), or idag/igår (today/yesterday) in the registry's zone."""

    name = "DATE"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return _say("DATUM", "DATE")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip().casefold()
        if text in ("idag", "i dag", "today", "igår", "i går", "yesterday"):
            today = dt.datetime.now(_registry_zone(ctx)).date()
            return today if text in ("idag", "i dag", "today") else today - dt.timedelta(days=1)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{safe_text(str(value))!r} är inget datum (ÅÅÅÅ-MM-DD, idag, igår)", param, ctx
            )


DATE = DateType()


class RefType(click.ParamType[str]):
    """A diarienummer of a case (SFG 26-01) or a document (SFG 26-01.02), checked against the
    configured number format; passed on as the stripped text."""

    name = "REF"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from casefile.numbering import parse_reference

        text = str(value).strip()
        if ctx is None:
            return text
        try:
            registry = get_app(ctx).settings.registry
        except UserError:
            return text  # the command itself reports the configuration error
        if parse_reference(registry, text) is None:
            self.fail(f"{safe_text(text)!r} är inget diarienummer; {QUOTE_HINT}", param, ctx)
        return text


REF = RefType()


def parse_ref(ctx: click.Context, text: str) -> str:
    """REF's check for a reference that arrives as an option or in a list."""
    result: str = REF.convert(text, None, ctx)
    return result


class StateType(click.ParamType[Coded]):
    """A state or status of one of the enums in casefile.states, by code or by label."""

    def __init__(self, enum: type[Coded]) -> None:
        self.enum = enum
        self.name = enum.__name__

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return _say(*_STATE_METAVARS.get(self.enum.__name__, ("VÄRDE", "VALUE")))

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.enum):
            return value
        try:
            return parse_state(self.enum, str(value))
        except InvalidState as exc:
            self.fail(str(exc), param, ctx)


# The placeholder of a state option in help: `--status STATUS`, not `--status DOCUMENTSTATUS`.
_STATE_METAVARS = {
    "DocumentStatus": ("STATUS", "STATUS"),
    "DocumentKind": ("TYP", "KIND"),
    "OutboxState": ("LÄGE", "STATE"),
    "MessageState": ("LÄGE", "STATE"),
    "CaseStatus": ("STATUS", "STATUS"),
}

# A row number (messages.id, outbox.id): PostgreSQL's integer keys stop at 2**31 - 1.
ROW_ID = click.IntRange(1, 2**31 - 1)

# A limit beyond any register's size; larger numbers are usage errors, not database overflows.
MAX_LIMIT = 1_000_000


def limit_option(default: int = 50) -> Callable[[F], F]:
    return click.option(
        "--limit",
        metavar="N",
        default=default,
        show_default=True,
        type=click.IntRange(0, MAX_LIMIT),
        help="Högst så många (0: alla).",
    )


# --- Output -------------------------------------------------------------------------------


def current_actor(explicit: str | None) -> str:
    """Who a staff act is logged as: --by, else $CASEFILE_USER, else the login name.

    Prefer `by_option`, which checks the initials while parsing; this is for callers that get
    the name elsewhere. Raises click.BadParameter (exit 2) for anything but initials.
    """
    return _resolve_actor(explicit, login_fallback=True)
