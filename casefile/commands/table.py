"""Tables for an 80-column terminal: long text cut with …, full width when the output is piped."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from casefile.cli_support import safe_text

GAP = 2
MIN_FLEX = 8


@dataclass(frozen=True)
class Column:
    header: str
    flex: bool = False  # may be cut with … to fit the terminal


def terminal_width() -> int | None:
    """The width to fit, or None for no limit: a terminal's width; when piped, no limit unless
    COLUMNS is set (as scripts and tests do to ask for a width)."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size((80, 24)).columns
    return None


def clip(text: str | None, width: int) -> str:
    """One line of `text` (made safe for a terminal) in at most `width` characters."""
    text = " ".join(safe_text(text).split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def fit(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None) -> str:
    cells = [[" ".join(safe_text(c).split()) for c in row] for row in rows]
    widths = [len(c.header) for c in columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    if width is not None:
        total = sum(widths) + GAP * (len(widths) - 1)
        while total > width:
            flex = [i for i, c in enumerate(columns) if c.flex and widths[i] > MIN_FLEX]
            if not flex:
                break
            widest = max(flex, key=lambda i: widths[i])
            widths[widest] -= 1
            total -= 1

    def line(values: Sequence[str]) -> str:
        return "  ".join(clip(v, w).ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line([c.header for c in columns]), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str] | None = None,
    *,
    wide: bool = False,
) -> str:
    """A table fitted to the terminal. `notes` (one per row, may be empty) are printed under
    their rows, indented and wrapped rather than cut: a reason a person must read whole.
    `wide` (the commands' --wide): nothing is cut, whatever the terminal's width."""
    width = None if wide else terminal_width()
    text = fit(columns, rows, width)
    if not notes:
        return text
    import textwrap

    lines = text.split("\n")
    out = lines[:2]
    for line, note in zip(lines[2:], notes, strict=True):
        out.append(line)
        note = " ".join(safe_text(note).split())
        if note:
            out.extend(
                textwrap.wrap(
                    note,
                    width or len(note) + NOTE_INDENT,
                    initial_indent=" " * NOTE_INDENT,
                    subsequent_indent=" " * NOTE_INDENT,
                    break_on_hyphens=False,
                    break_long_words=True,
                )
            )
    return "\n".join(out)


NOTE_INDENT = 4


def wrap_line(text: str, indent: int = NOTE_INDENT) -> list[str]:
    """One line of output, wrapped to the terminal with a hanging indent (none when piped)."""
    return wrap_to(text, terminal_width(), indent)


def wrap_to(text: str, width: int | None, indent: int = NOTE_INDENT) -> list[str]:
    """`text` made safe and wrapped to `width` with a hanging indent; whole when width is None."""
    import textwrap

    text = safe_text(text)  # titles, notes and reasons come from senders and staff
    if width is None or len(text) <= width:
        return [text]
    lead = len(text) - len(text.lstrip(" "))
    return textwrap.wrap(
        text.strip(),
        width,
        initial_indent=" " * lead,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
    )
