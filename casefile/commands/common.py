"""What the staff command modules share: the app, --by, dates, running an act in a transaction.

Kept small and local so that it can give way to the shared CLI support layer (cli_support) as
that grows the same helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from casefile.cli_support import current_actor

if TYPE_CHECKING:  # the ORM stays unloaded for the read-only commands
    from sqlalchemy.orm import Session

    from casefile.app import App

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def app_of(ctx: click.Context) -> App:
    from casefile.app import App

    root = ctx.find_root()
    app = root.obj
    if app is None:
        app = root.obj = App.from_config(root.meta.get("config_path"))
    return app  # type: ignore[no-any-return]


def by_option(func: F) -> F:
    return click.option(
        "--by",
        "actor",
        metavar="INITIALS",
        help="Vem som gör det (standard: $CASEFILE_USER, annars inloggningsnamnet).",
    )(func)


def actor_of(explicit: str | None) -> str:
    return current_actor(explicit)


def act(ctx: click.Context, work: Callable[[App, Session], T]) -> T:
    """Run `work` in one transaction: the change and its log entry commit together."""
    app = app_of(ctx)
    with app.sessions() as session, session.begin():
        return work(app, session)


class DateType(click.ParamType):  # type: ignore[type-arg]
    """ISO dates, plus idag and igår (today and yesterday) in the registry's zone."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        word = str(value).strip().casefold()
        today = dt.date.today()
        if word in ("idag", "i dag", "today"):
            return today
        if word in ("igår", "i går", "yesterday"):
            return today - dt.timedelta(days=1)
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            self.fail(f"{value!r} är inget datum (ÅÅÅÅ-MM-DD, idag eller igår)", param, ctx)


DATE = DateType()
