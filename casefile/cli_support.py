"""The one support layer of both command-line programs (`casefile` and `intake`).

The App of an invocation, logging, one-line errors, JSON output, tables safe for a terminal,
and the options and parameter types every command shares (--by, dates, references, limits).
A command module needs nothing else to behave like the others.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from casefile.errors import UserError
from casefile.i18n import install_click_catalogue
from casefile.initials import valid_initials
from casefile.states import Coded, InvalidState, parse_state

if TYPE_CHECKING:
    from casefile.app import App

F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=Coded)

install_click_catalogue()  # click's usage, help and error frames in Swedish (casefile.i18n)

QUOTE_HINT = 'skriv numret inom citattecken: "SFG 26-01"'


class Failure(click.ClickException):
    """Exit 1 with one line on stderr: the command could not do what was asked."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(error_line(self.message), err=True)


def error_line(message: str) -> str:
    """`fel: …` (`error: …` under CASEFILE_LANG=en): the one line of a failed command."""
    return f"{_say('fel', 'error')}: {safe_text(message)}"


# --- The App and logging ------------------------------------------------------------------


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


class _ZonedFormatter(logging.Formatter):
    """Timestamps with their UTC offset (2026-02-03T10:00:00+01:00): a log read later, or on
    another machine, must not leave the hour in doubt."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = dt.datetime.fromtimestamp(record.created).astimezone()
        return when.isoformat(timespec="seconds")


TRACE_ENV = "CASEFILE_TRACE"


def setup_logging(level: str = "INFO", trace: bool | None = None) -> None:
    """Log lines to stderr with zoned timestamps. IMAP protocol dumps (imapclient's DEBUG
    lines) only with `trace` (default: `intake --trace`, or $CASEFILE_TRACE=1), even at log
    level DEBUG: they are long and name every message."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ZonedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=[handler])
    if trace is None:
        ctx = click.get_current_context(silent=True)
        flag = bool(ctx and ctx.find_root().meta.get("trace"))
        trace = flag or os.environ.get(TRACE_ENV, "") == "1"
    logging.getLogger("imapclient").setLevel(logging.DEBUG if trace else logging.INFO)


# --- Groups and errors --------------------------------------------------------------------


def _config_callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    # ctx.meta is one dict for the whole invocation: the root's get_app reads it.
    if value is not None:
        ctx.meta["config_path"] = value


def _late_config_option() -> click.Option:
    """`--config` after the command name (`intake check --config FILE`), as before it."""
    option = click.Option(
        ["--config", "_late_config_path"],
        type=FILE_WORD,
        expose_value=False,
        is_eager=True,  # before REF and the other values that read the configuration
        callback=_config_callback,
        help=CONFIG_HELP,
    )
    _localise(option)
    return option


def _help_in_language(
    param: click.Parameter, record: Callable[[click.Context], Any], ctx: click.Context
) -> Any:
    """click's help row of a parameter, its help said in the output's language
    (casefile.help_en.help_text)."""
    from casefile.help_en import help_text

    written = getattr(param, "help", None)
    if written:
        param.help = help_text(written)
    try:
        return record(ctx)
    finally:
        param.help = written


class _LocalOption(click.Option):
    """An option whose help and placeholder (i18n.metavar_text: `FIL` or `FILE`) follow the
    output's language. Methods only: _Frames gives click's Option this class in place."""

    __slots__ = ()

    def make_metavar(self, ctx: click.Context) -> str:
        from casefile.i18n import metavar_text

        return metavar_text(super().make_metavar(ctx))

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        result: tuple[str, str] | None = _help_in_language(self, super().get_help_record, ctx)
        return result


class _LocalArgument(click.Argument):
    """An argument whose placeholder and help follow the output's language (_LocalOption)."""

    __slots__ = ()

    def make_metavar(self, ctx: click.Context) -> str:
        from casefile.i18n import metavar_text

        return metavar_text(super().make_metavar(ctx))

    def get_help_record(self, ctx: click.Context) -> tuple[str, str]:
        result: tuple[str, str] = _help_in_language(self, super().get_help_record, ctx)
        return result


def _localise(param: click.Parameter) -> click.Parameter:
    if type(param) is click.Option:
        param.__class__ = _LocalOption
    elif type(param) is click.Argument:
        param.__class__ = _LocalArgument
    return param


class _Frames:
    """What every command of both programs shares beyond click: the usage line, the help
    texts, the placeholders and the help option in the output's language, and --config
    accepted after the command name too."""

    help: str | None
    short_help: str | None

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from casefile.help_en import help_text

        text = help_text(self.help) if self.help else ""
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def get_short_help_str(self, limit: int = 45) -> str:
        from casefile.help_en import help_text

        written = self.help, self.short_help
        self.help, self.short_help = (help_text(text) if text else text for text in written)
        try:
            short: str = super().get_short_help_str(limit)  # type: ignore[misc]
        finally:
            self.help, self.short_help = written
        return short

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        from casefile.i18n import swedish_gettext

        pieces: list[str] = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [swedish_gettext(piece) for piece in pieces]

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        from casefile.i18n import swedish_gettext

        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:  # click caches it: say it again in today's language
            option.help = swedish_gettext("Show this message and exit.")
        return option

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params: list[click.Parameter] = [
            _localise(p)
            for p in super().get_params(ctx)  # type: ignore[misc]
        ]
        if ctx.parent is None or any(p.name == "config_path" for p in params):
            return params  # the root has its own --config
        late = self.__dict__.get("_late_config")
        if late is None:
            late = self.__dict__["_late_config"] = _late_config_option()
        # Before the help option, which click puts last.
        tail = params[-1:] if params and params[-1] is self.get_help_option(ctx) else []
        return [*params[: len(params) - len(tail)], late, *tail]


class Command(_Frames, click.Command):
    """A command of `casefile` or `intake` (see _Frames)."""


class Group(_Frames, click.Group):
    """A group of commands; the commands it finds behave as Command (see _Frames)."""

    command_class = Command

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        _adopt(command)
        return command


Group.group_class = Group


def _adopt(command: click.Command | None) -> None:
    """Give a command made with plain @click.command (the lazily imported modules) the shared
    behaviour. Command and Group add methods only, no state, so the class can change."""
    if type(command) is click.Command:
        command.__class__ = Command
    elif type(command) is click.Group:
        command.__class__ = Group


class LazyGroup(Group):
    """A command group whose heavier commands are imported only when they are run.

    `lazy` maps a command name to "module:attribute"; `casefile list` then never pays for the
    mail code's imports (Jinja2, the ORM) that `casefile remind` needs. `aliases` maps another
    name (Swedish: `rätta`) to a command's name; help lists it beside the command.
    """

    def __init__(
        self,
        *args: Any,
        lazy: dict[str, str] | None = None,
        aliases: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.aliases = dict(aliases or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd_name = self.aliases.get(cmd_name, cmd_name)
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from casefile.i18n import swedish_gettext

        names: dict[str, list[str]] = {}
        for alias, name in self.aliases.items():
            names.setdefault(name, []).append(alias)
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((", ".join([name, *names.get(name, [])]), command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section(swedish_gettext("Commands")):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Undecodable bytes in argv arrive as lone surrogates; they would fail later, in the
        # database or on the terminal, with a traceback.
        for arg in args:
            if _SURROGATE.search(arg):
                raise _wrapped(
                    click.UsageError(
                        f"argumentet {arg.encode('utf-8', 'replace').decode()!r} är inte UTF-8",
                        ctx,
                    )
                )
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _wrapped(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _wrapped(self._with_quote_hint(exc)) from None

    def _with_quote_hint(self, exc: click.UsageError) -> click.UsageError:
        # `casefile show SFG 26-01` without quotes: the shell splits the number in two.
        # ("Got unexpected extra argument", or its Swedish, "Oväntat extra argument".)
        command = exc.ctx.command if exc.ctx is not None else None
        if (
            command is not None
            and "extra argument" in exc.message
            and any(isinstance(p.type, RefType) for p in command.params)
            and QUOTE_HINT not in exc.message
        ):
            return click.UsageError(f"{exc.message}; {QUOTE_HINT}", exc.ctx)
        return exc


def _stderr_width() -> int | None:
    """The terminal's width for a usage error, or None (no wrapping) when stderr is not one."""
    import shutil

    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    return shutil.get_terminal_size().columns if sys.stderr.isatty() else None


def _wrapped(exc: click.UsageError) -> click.UsageError:
    """The usage error, shown as click shows it but with long lines (a list of choices)
    wrapped to the terminal, indented under the message."""
    show = type(exc).show

    def wrapped_show(file: Any = None) -> None:
        import io
        import textwrap

        buffer = io.StringIO()
        show(exc, buffer)
        width = _stderr_width()
        lines = []
        for line in buffer.getvalue().splitlines():
            if width is None or len(line) <= width:
                lines.append(line)
            else:
                lines.extend(textwrap.wrap(line, width, subsequent_indent="  "))
        click.echo("\n".join(lines), file=file, err=file is None)

    exc.show = wrapped_show  # type: ignore[method-assign]
    return exc


_SURROGATE = re.compile("[\ud800-\udfff]")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def describe_error(exc: BaseException) -> str:
    """One line for an error that is not the user's fault, without a traceback or a secret."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, sa_exc.DBAPIError):
        detail = _first_line(str(exc.orig or exc))
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code == "42P01" or "no such table" in detail:
            return "databasen är inte förberedd: kör först casefile init"
        if code == "42703" or "no such column" in detail:
            # A column of a newer schema is missing: the program was upgraded, the database not.
            return f"databasen har en äldre version än programmet: kör casefile init ({detail})"
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            # No SQLSTATE from PostgreSQL, or SQLite's CANTOPEN: no connection was made.
            sqlite_name = getattr(exc.orig, "sqlite_errorname", None)
            if sqlite_name == "SQLITE_CANTOPEN" or (sqlite_name is None and code is None):
                return f"kan inte nå databasen: {detail}"
            return f"databasfel: {detail}"
        return f"databasen vägrade: {detail}"
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return f"databasfel: {_first_line(str(exc))}"
    if isinstance(exc, UnicodeError):
        return f"texten är inte giltig UTF-8 ({_first_line(str(exc))})"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or _first_line(str(exc))}{where}"
    return _first_line(str(exc))


def one_line_errors(func: F) -> F:
    """Turn expected errors into one `fel: …` line (error_line) and exit 1, never a traceback.

    Expected: every UserError, and what the database, the file system and text decoding can
    raise (a missing or locked database, a full disk, a file that is not UTF-8).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported on call, not at decoration: `intake extract` starts without SQLAlchemy.
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader left (`| head`): click ends quietly, not with "fel: Broken pipe"
        except (UserError, SQLAlchemyError, OSError, UnicodeError, RecursionError) as exc:
            raise Failure(describe_error(exc)) from None

    return wrapper  # type: ignore[return-value]


# --- Options and parameter types ----------------------------------------------------------


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


def _say(swedish: str, english: str) -> str:
    from casefile.i18n import language

    return english if language() == "en" else swedish


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


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def current_actor(explicit: str | None) -> str:
    """Who a staff act is logged as: --by, else $CASEFILE_USER, else the login name.

    Prefer `by_option`, which checks the initials while parsing; this is for callers that get
    the name elsewhere. Raises click.BadParameter (exit 2) for anything but initials.
    """
    return _resolve_actor(explicit, login_fallback=True)


# ESC sequences (CSI, OSC and two-character ones), then any remaining C0/C1 control character.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str | None) -> str:
    """Text a sender wrote, made harmless for a terminal: no escape sequences that move the
    cursor, rewrite the title or hide a line, no control characters, no bidi overrides.
    A line break or a tab becomes a space; anything else becomes U+FFFD."""
    if not text:
        return ""
    text = _ESCAPES.sub("\ufffd", text)
    return _CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "\ufffd", text)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table; every cell goes through safe_text."""
    safe_headers = [safe_text(h) for h in headers]
    safe_rows = [[safe_text(c) for c in row] for row in rows]
    widths = [len(h) for h in safe_headers]
    for row in safe_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(safe_headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in safe_rows)
    return "\n".join(out)


def clip(text: str | None, width: int) -> str:
    text = safe_text(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def run_main(group: click.Group, prog_name: str) -> None:
    """The console script's entry point: click's standalone mode, with UserError as one line."""
    try:
        group.main(prog_name=prog_name, standalone_mode=True)
    except Exception as exc:  # pragma: no cover - raised outside a command
        # casefile.config only here: `intake extract` starts without the settings' code.
        from casefile.config import ConfigError

        if not isinstance(exc, (Failure, ConfigError)):
            raise
        click.echo(error_line(str(exc)), err=True)
        raise SystemExit(1) from None
