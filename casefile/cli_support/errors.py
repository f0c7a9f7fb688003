"""Errors as one line: what the user did wrong, what the database or the disk refused, usage
errors wrapped to the terminal, and the console scripts' entry point. Never a traceback."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from casefile.cli_support.output import Failure, error_line
from casefile.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])


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
