"""What the staff command modules share, on top of the CLI support layer (cli_support)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from casefile.cli_support import DATE, REF, ROW_ID, by_option, current_actor, get_app

if TYPE_CHECKING:  # the ORM stays unloaded for the read-only commands
    from sqlalchemy.orm import Session

    from casefile.app import App

T = TypeVar("T")
__all__ = ["DATE", "REF", "ROW_ID", "act", "actor_of", "app_of", "by_option"]


def app_of(ctx: click.Context) -> App:
    return get_app(ctx)


def actor_of(explicit: str | None) -> str:
    """The initials a staff act is logged under (by_option has already checked --by)."""
    return current_actor(explicit)


def act(ctx: click.Context, work: Callable[[App, Session], T]) -> T:
    """Run `work` in one transaction: the change and its log entry commit together."""
    app = get_app(ctx)
    with app.sessions() as session, session.begin():
        return work(app, session)
