"""`intake`: the mail side. Polling, extraction, sending, the background service.

The console script's entry point. A plain `intake extract FILE [--json] [--config X]` (a
person reading one report, where start-up is most of the time) runs without importing click;
every other command line, help and mistakes included, goes to the click group in
intake/commands/root.py, which says the same for a plain one (tests/cli/test_light_extract.py).
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

# The command's names (intake/commands/root.py: the command and its Swedish alias).
_EXTRACT_NAMES = frozenset({"extract", "läs"})


def plain_extract(args: list[str]) -> tuple[str, bool, str | None] | None:
    """(FILE, --json, --config) when `args` is a plain extraction click would run as written:
    `[--config X] extract FILE [--json] [--config X]`, options after the file too, each
    at most once, no other option, no word that starts with "-", FILE not a folder or an
    unreadable file (click's own message for those). Else None."""
    config: str | None = None
    rest = list(args)
    if len(rest) >= 2 and rest[0] == "--config":
        config = rest[1]
        rest = rest[2:]
    if not rest or rest[0] not in _EXTRACT_NAMES:
        return None
    file: str | None = None
    as_json = False
    late_config = False
    i = 1
    while i < len(rest):
        word = rest[i]
        if word == "--json" and not as_json:
            as_json = True
        elif word == "--config" and config is None and not late_config and i + 1 < len(rest):
            config = rest[i + 1]
            late_config = True
            i += 1
        elif word.startswith("-") or file is not None:
            return None
        else:
            file = word
        i += 1
    if not file or (config is not None and (not config or config.startswith("-"))):
        return None
    if os.path.isdir(file) or (os.path.exists(file) and not os.access(file, os.R_OK)):
        return None  # click.Path(dir_okay=False) says why, in its words
    return file, as_json, config


def _completing(prog_name: str) -> bool:
    """click's shell completion was asked for ($_INTAKE_COMPLETE)."""
    name = prog_name.replace("-", "_").replace(".", "_")
    return f"_{name}_COMPLETE".upper() in os.environ


def main() -> None:
    plain = None if _completing("intake") else plain_extract(sys.argv[1:])
    if plain is None:
        from casefile.cli_support import run_main
        from intake.commands.root import cli

        run_main(cli, "intake")
        return
    from intake.commands.extract_run import run_extract

    try:
        code = run_extract(*plain)
    except (EOFError, KeyboardInterrupt):
        _aborted()
    except OSError as exc:
        import errno

        if exc.errno != errno.EPIPE:
            raise
        _pacify()
        sys.exit(1)
    _exit_now(code)


def _exit_now(code: int) -> None:
    """Exit with `code` once the output is written, without the interpreter's clean-up: it
    would free every object the reader made one by one (a fifth of a short run's time), and
    this process holds nothing else to release (the parsing child has been reaped, no file or
    connection is open). Where writing the output fails, the usual exit says so as before."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        sys.exit(code)
    os._exit(code)


def _aborted() -> NoReturn:
    """What click's standalone mode says and does on ^C: a blank line, `Avbrutet!`, exit 1."""
    import click
    from click import core

    import casefile.cli_support  # noqa: F401  (click's frames in Swedish)

    click.echo(file=sys.stderr)
    core._echo_aborted()
    sys.exit(1)


def _pacify() -> None:
    """The reader left (`| head`): end quietly, as click's standalone mode does."""
    from click.utils import _PacifyFlushWrapper

    sys.stdout = _PacifyFlushWrapper(sys.stdout)
    sys.stderr = _PacifyFlushWrapper(sys.stderr)


def __getattr__(name: str) -> Any:
    """`intake.cli.cli`, the click group, imported when asked for (tests, the docs)."""
    if name == "cli":
        from intake.commands.root import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
