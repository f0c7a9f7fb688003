"""`casefile contact REF ADDRESS`: staff confirm where a case's reminders may go.

An address read from a report form is only a candidate: anyone can write any address into a
form, and the office must not send its mail to a third party on a stranger's word.
"""

from __future__ import annotations

import click

from casefile.cli_support import json_option, one_line_errors, print_json, safe_text
from casefile.commands.initials import by_option


@click.command("contact")
@click.argument("ref")
@click.argument("address")
@by_option
@json_option
@click.pass_context
@one_line_errors
def contact_command(ctx: click.Context, ref: str, address: str, actor: str, as_json: bool) -> None:
    """Bekräfta ärendets kontaktadress: dit går påminnelser och kompletteringsbegäranden.

    En adress som lästs ur en blankett är bara ett förslag tills den bekräftats.

    Exempel: casefile contact "SFG 26-01" anna.berg@kommun.se --by AKH
    """
    from casefile.app import App
    from casefile.register import confirm_contact

    app = ctx.obj if isinstance(ctx.obj, App) else App.from_config(ctx.meta.get("config_path"))
    with app.sessions() as session, session.begin():
        case = confirm_contact(session, app.settings, ref, address, actor)
        number, confirmed = case.number, case.confirmed_contact_email
    if as_json:
        print_json({"case": number, "confirmed_contact_email": confirmed, "by": actor})
    else:
        click.echo(f"{number}: kontaktadressen {safe_text(confirmed)} är bekräftad av {actor}.")
