"""`casefile init`: create or upgrade the database."""

from __future__ import annotations

import click

from casefile.cli_support import get_app, json_option, one_line_errors, print_json


@click.command("init")
@json_option
@click.pass_context
@one_line_errors
def init(ctx: click.Context, as_json: bool) -> None:
    """Skapa eller uppgradera databasen (går bra att köra igen).

    Exempel: casefile init
    """
    from casefile.db.migrate import upgrade

    app = get_app(ctx)
    before, after = upgrade(app.engine)
    if as_json:
        print_json(
            {"database": app.engine.url.render_as_string(), "before": before, "after": after}
        )
    elif before == after:
        click.echo(f"Databasen är redan aktuell (version {after}).")
    else:
        click.echo(f"Databasen är uppgraderad från {before or 'tom'} till version {after}.")
