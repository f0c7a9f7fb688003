"""`--by INITIALS` for the sender-trust commands, checked while parsing.

The same rule and the same call shape as `by_option` in casefile.cli_support (issue 12, H1's
part): when that reaches main, the commands import it from there instead (a one-line change).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
INITIALS = re.compile(r"^[A-Za-zÅÄÖåäö0-9]{1,8}$")


def _resolve(value: str | None) -> str:
    source, text = (
        ("--by", value) if value is not None else ("CASEFILE_USER", os.environ.get("CASEFILE_USER"))
    )
    if text is None:
        raise click.MissingParameter(
            "ange dina initialer med --by eller i miljövariabeln CASEFILE_USER",
            param_hint="--by",
        )
    if not INITIALS.match(text):
        shown = text.encode("unicode_escape").decode("ascii")
        raise click.BadParameter(
            f"{shown!r} ({source}) är inga initialer: 1–8 bokstäver eller siffror, t.ex. AKH",
            param_hint="--by",
        )
    return text.upper()


def by_option(func: F) -> F:
    """`--by INITIALS`, given to the command as `actor` (capitals, already checked)."""
    return click.option(
        "--by",
        "actor",
        metavar="INITIALER",
        help="Dina initialer (standard: $CASEFILE_USER).",
        callback=lambda _ctx, _param, value: _resolve(value),
    )(func)
