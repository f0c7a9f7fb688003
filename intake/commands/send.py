"""`intake send`: deliver what the outbox holds, once."""

from __future__ import annotations

import click

from casefile.cli_support import get_app, json_option, limit_option, one_line_errors, print_json


@click.command("send")
@limit_option(0)
@click.option(
    "--recover",
    is_flag=True,
    help="Markera först brev som fastnat i 'skickas' som osäkra (bara när ingen annan sänder).",
)
@json_option
@click.pass_context
@one_line_errors
def send_command(ctx: click.Context, limit: int, recover: bool, as_json: bool) -> None:
    """Skicka det som ligger i utkorgen, en gång.

    Exempel: intake send
    """
    from intake.outgoing.sender import flush_outbox, recover_interrupted

    app = get_app(ctx)
    recovered = 0
    if recover:
        with app.sessions() as session, session.begin():
            recovered = recover_interrupted(session)
    result = flush_outbox(app.sessions, app.settings, limit=limit)
    data = {
        "sent": result.sent,
        "retried": result.retried,
        "failed": result.failed,
        "uncertain": result.uncertain,
        "recovered": recovered,
    }
    if as_json:
        print_json(data)
        return
    click.echo(
        f"Skickade: {result.sent}, försöker igen senare: {result.retried}, "
        f"misslyckade: {result.failed}, osäkra: {result.uncertain}."
    )
    if recovered:
        click.echo(f"{recovered} brev som avbröts under sändning är markerade som osäkra.")
