"""No module of the program over 500 lines, unless it is one format, one algorithm or one protocol
and says so in its docstring with the marker phrase, e.g. "One format, kept whole: …", followed
by why it stays whole (issue 23).

Counted: the modules of `casefile` and `intake` (tests, tools and benchmarks are not the
program). A longer module that is two jobs is split, not marked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("casefile", "intake")
LIMIT = 500
MARKER = re.compile(r"\bOne (?:format|algorithm|protocol), kept whole: \S")

# Long modules waiting for a split. The test fails when one is no longer over the limit, so
# the list only shrinks.
PENDING: set[str] = set()


def _long_modules() -> dict[str, str]:
    """Each module over LIMIT lines, with its docstring."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if len(text.splitlines()) > LIMIT:
                name = path.relative_to(ROOT).as_posix()
                out[name] = ast.get_docstring(ast.parse(text)) or ""
    return out


def test_every_long_module_says_it_is_one_format_algorithm_or_protocol() -> None:
    long = _long_modules()
    unmarked = sorted(
        name for name, doc in long.items() if name not in PENDING and not MARKER.search(doc)
    )
    assert not unmarked, (
        f"over {LIMIT} lines without 'One format/algorithm/protocol, kept whole: <why>' "
        f"in the docstring (split it, or say why it is one piece): {unmarked}"
    )
    assert not PENDING - set(long), f"no longer over {LIMIT} lines: {sorted(PENDING - set(long))}"


def test_the_marker_is_read_from_the_docstring_only() -> None:
    """The phrase in a comment or a string elsewhere does not count."""
    source = '"""A module."""\n# One format, kept whole: no.\nX = "One format, kept whole: no"\n'
    assert not MARKER.search(ast.get_docstring(ast.parse(source)) or "")
    marked = '"""A module.\n\nOne format, kept whole: its parts refer to each other."""\n'
    assert MARKER.search(ast.get_docstring(ast.parse(marked)) or "")
