"""`casefile move REF --to CASE`: file a document in the right case.

The document keeps its diarienummer (numbers are never changed or reused); both cases' histories
say where it went.
"""

from __future__ import annotations

import click

from casefile.cli_support import by_option, get_app, json_option, one_line_errors, print_json


@click.command("move")
@click.argument("ref")
@click.option("--to", "target", required=True, metavar="ÄRENDE", help="Ärendet den ska ligga i.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def move_command(ctx: click.Context, ref: str, target: str, actor: str, as_json: bool) -> None:
    """Flytta en handling till ett annat ärende. Den behåller sitt diarienummer.

    Exempel: casefile move "SFG 26-02.01" --to "SFG 26-01" --by AKH
    """
    from casefile.register import move_document

    app = get_app(ctx)
    with app.sessions() as session, session.begin():
        moved = move_document(session, app.settings, ref, target, actor)
    if as_json:
        print_json(
            {"diarienummer": moved.diarienummer, "from": moved.from_case, "to": moved.to_case}
        )
    else:
        click.echo(
            f"{moved.diarienummer} är flyttad från {moved.from_case} till {moved.to_case} "
            "(numret är detsamma)."
        )
