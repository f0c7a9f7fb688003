"""`casefile search TEXT`: documents and cases whose text matches, best first."""

from __future__ import annotations

import click

from casefile.cli_support import json_option, one_line_errors, print_json
from casefile.commands.common import app_of
from casefile.commands.table import clip, terminal_width
from casefile.db.engine import read_only

# More hits than a person reads; each one costs a snippet (ts_headline reads the whole row).
MAX_HITS = 1000


def _checked_query(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str:
    """The query's words within the limits, else a usage error (before the database is opened)."""
    from casefile.search import QueryError, query_words

    query = " ".join(value)
    try:
        query_words(query)
    except QueryError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    return query


@click.command()
@click.argument("text", nargs=-1, required=True, callback=_checked_query)
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, MAX_HITS),
    help="Högst så många träffar.",
)
@json_option
@click.pass_context
@one_line_errors
def search(ctx: click.Context, text: str, limit: int, as_json: bool) -> None:
    """Sök i titlar, organisationer, avsändare, kontakter, anteckningar och rapporttext.

    Varje ord ska finnas (som början på ett ord); bäst träff först. Högst 20 ord och
    200 tecken; sökningen avbryts efter 10 sekunder.

    Exempel: casefile search Ovanåker arbetsträning
    """
    from casefile.search import search as run_search

    app = app_of(ctx)
    query = text
    with read_only(app.engine) as conn:
        hits = run_search(conn, query, limit)
    if as_json:
        print_json(hits)
        return
    if not hits:
        click.echo(f"Inga träffar för ”{query}”.")
        return
    width = terminal_width()
    for hit in hits:
        lead = f"{hit['ref']:<13} {hit['received_date'] or '':<10}  "
        what = f"{hit['title']} – {hit['organisation']}"
        click.echo(lead + (clip(what, width - len(lead)) if width else what))
        snippet = hit["snippet"]
        click.echo("    " + (clip(snippet, width - 4) if width else snippet))
    click.echo(f"{len(hits)} träff{'' if len(hits) == 1 else 'ar'}.")
