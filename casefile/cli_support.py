"""What both command-line programs share: config loading, JSON output, one-line errors, tables."""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from casefile.config import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """Exit 1 with one line on stderr: the command could not do what was asked."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"fel: {self.message}", err=True)


class LazyGroup(click.Group):
    """A command group whose heavier commands are imported only when they are run.

    `lazy` maps a command name to "module:attribute"; `casefile list` then never pays for the
    mail code's imports (Jinja2, the ORM) that `casefile remind` needs.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


def one_line_errors(func: F) -> F:
    """Turn expected errors into one line and exit 1, never a traceback."""
    from casefile.errors import RegisterError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, RegisterError) as exc:
            raise Failure(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        envvar=None,
        help="Konfigurationsfil (standard: $CASEFILE_CONFIG, annars config/casefile.toml).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Skriv ut ett JSON-dokument.")(func)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def current_actor(explicit: str | None) -> str:
    """Who a staff act is logged as: --by, else $CASEFILE_USER, else the login name."""
    if explicit:
        return explicit.strip()
    return os.environ.get("CASEFILE_USER") or getpass.getuser()


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


# ESC sequences (CSI, OSC and two-character ones), then any remaining C0/C1 control character.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str | None) -> str:
    """Text a sender wrote, made harmless for a terminal: no escape sequences, no control
    characters, no bidi overrides. A line break or a tab becomes a space, the rest U+FFFD."""
    if not text:
        return ""
    text = _ESCAPES.sub("\ufffd", text)
    return _CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "\ufffd", text)


def clip(text: str | None, width: int) -> str:
    text = safe_text(text)
    return text if len(text) <= width else text[: width - 1] + "…"
