"""`casefile contact REF ADDRESS`: staff confirm where a case's reminders may go.

An address read from a report form is only a candidate: anyone can write any address into a
form, and the office must not send its mail to a third party on a stranger's word.
"""

from __future__ import annotations

import click

from casefile.cli_support import (
    Word,
    by_option,
    get_app,
    json_option,
    one_line_errors,
    print_json,
    safe_text,
)


@click.command("contact")
@click.argument("ref")
@click.argument("address", type=Word("ADRESS", "ADDRESS"))
# Who vouches for an address that official mail will go to must say so: no login fallback.
@by_option(login_fallback=False)
@json_option
@click.pass_context
@one_line_errors
def contact_command(ctx: click.Context, ref: str, address: str, actor: str, as_json: bool) -> None:
    """Bekräfta ärendets kontaktadress: dit går påminnelser och kompletteringsbegäranden.

    En adress som lästs ur en blankett är bara ett förslag tills den bekräftats.

    Exempel: casefile contact "SFG 26-01" anna.berg@kommun.se --by AKH
    """
    from casefile.register import confirm_contact

    app = get_app(ctx)
    with app.sessions() as session, session.begin():
        case = confirm_contact(session, app.settings, ref, address, actor)
        number, confirmed = case.number, case.confirmed_contact_email
    if as_json:
        print_json({"case": number, "confirmed_contact_email": confirmed, "by": actor})
    else:
        click.echo(f"{number}: kontaktadressen {safe_text(confirmed)} är bekräftad av {actor}.")
