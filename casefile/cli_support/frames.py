"""The shared frames of both programs' commands: usage, help and placeholders in the output's
language, --config after the command name, lazily imported commands and their aliases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from casefile.cli_support.errors import _SURROGATE, _wrapped
from casefile.cli_support.params import CONFIG_HELP, FILE_WORD, QUOTE_HINT, RefType


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
