"""What a command writes: one-line failures, JSON, and text and tables made safe for a terminal."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

import click


class Failure(click.ClickException):
    """Exit 1 with one line on stderr: the command could not do what was asked."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(error_line(self.message), err=True)


def error_line(message: str) -> str:
    """`fel: …` (`error: …` under CASEFILE_LANG=en): the one line of a failed command."""
    return f"{_say('fel', 'error')}: {safe_text(message)}"


def _say(swedish: str, english: str) -> str:
    from casefile.i18n import language

    return english if language() == "en" else swedish


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


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
