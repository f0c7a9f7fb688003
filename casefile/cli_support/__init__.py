"""The one support layer of both command-line programs (`casefile` and `intake`).

The App of an invocation, logging, one-line errors, JSON output, tables safe for a terminal,
and the options and parameter types every command shares (--by, dates, references, limits).
A command module needs nothing else to behave like the others: it imports from here, and the
modules below keep one concern each (output, errors, logs, params, frames).
"""

from __future__ import annotations

from casefile.i18n import install_click_catalogue

install_click_catalogue()  # click's usage, help and error frames in Swedish (casefile.i18n)

from casefile.cli_support.errors import (  # noqa: E402
    describe_error,
    one_line_errors,
    run_main,
)
from casefile.cli_support.frames import Command, Group, LazyGroup  # noqa: E402
from casefile.cli_support.logs import TRACE_ENV, setup_logging  # noqa: E402
from casefile.cli_support.output import (  # noqa: E402
    Failure,
    clip,
    error_line,
    print_json,
    render_table,
    safe_text,
)
from casefile.cli_support.params import (  # noqa: E402
    CONFIG_HELP,
    DATE,
    FILE_WORD,
    MAX_LIMIT,
    QUOTE_HINT,
    REF,
    ROW_ID,
    DateType,
    RefType,
    StateType,
    Word,
    by_option,
    config_option,
    current_actor,
    get_app,
    json_option,
    limit_option,
    parse_ref,
)

__all__ = [
    "CONFIG_HELP",
    "DATE",
    "FILE_WORD",
    "MAX_LIMIT",
    "QUOTE_HINT",
    "REF",
    "ROW_ID",
    "TRACE_ENV",
    "Command",
    "DateType",
    "Failure",
    "Group",
    "LazyGroup",
    "RefType",
    "StateType",
    "Word",
    "by_option",
    "clip",
    "config_option",
    "current_actor",
    "describe_error",
    "error_line",
    "get_app",
    "json_option",
    "limit_option",
    "one_line_errors",
    "parse_ref",
    "print_json",
    "render_table",
    "run_main",
    "safe_text",
    "setup_logging",
]
