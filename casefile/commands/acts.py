"""Staff acts on one document or case: `casefile sign`, `cancel`, `note` and `due`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from casefile.cli_support import (
    DATE,
    REF,
    Failure,
    by_option,
    get_app,
    json_option,
    one_line_errors,
    print_json,
)


def _staff_act(ctx: click.Context, act: Any) -> Any:
    app = get_app(ctx)
    with app.sessions() as session, session.begin():
        return act(app, session)


@click.command()
@click.argument("ref", type=REF)
@by_option(login_fallback=False)
@json_option
@click.pass_context
@one_line_errors
def sign(ctx: click.Context, ref: str, actor: str, as_json: bool) -> None:
    """Signera en registrerad handling som ansvarig handläggare.

    Exempel: casefile sign "SFG 26-01.02" --by AKH
    """
    from casefile.register import sign_document

    number, who = _staff_act(
        ctx,
        lambda app, s: (lambda d: (d.diarienummer, d.signature))(
            sign_document(s, app.settings, ref, actor)
        ),
    )
    if as_json:
        print_json({"diarienummer": number, "signature": who})
    else:
        click.echo(f"{number} signerat av {who}.")


@click.command()
@click.argument("ref", type=REF)
@click.option("--reason", required=True, help="Varför registreringen makuleras.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def cancel(ctx: click.Context, ref: str, reason: str, actor: str, as_json: bool) -> None:
    """Makulera en felaktig registrering. Numret behålls och återanvänds aldrig.

    Exempel: casefile cancel "SFG 26-01.03" --reason "Dubblett av SFG 26-01.02"
    """
    from casefile.register import cancel_document

    number = _staff_act(
        ctx,
        lambda app, s: cancel_document(s, app.settings, ref, reason, actor).diarienummer,
    )
    if as_json:
        print_json({"diarienummer": number, "status": "cancelled", "cancel_reason": reason})
    else:
        click.echo(f"{number} är makulerat.")


@click.command()
@click.argument("ref", type=REF)
@click.argument("text")
@by_option
@json_option
@click.pass_context
@one_line_errors
def note(ctx: click.Context, ref: str, text: str, actor: str, as_json: bool) -> None:
    """Skriv en anteckning i ett ärendes eller en handlings historik.

    Exempel: casefile note "SFG 26-01" "Ringde kontaktpersonen om underskrift"
    """
    from casefile.register import add_note

    _staff_act(ctx, lambda app, s: add_note(s, app.settings, ref, text, actor))
    if as_json:
        print_json({"ref": ref, "note": text.strip(), "by": actor})
    else:
        click.echo("Anteckningen är sparad.")


@click.command()
@click.argument("ref", type=REF)
@click.argument("date", type=DATE)
@click.option("--force", is_flag=True, help="Godta ett datum som redan har passerat.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def due(
    ctx: click.Context, ref: str, date: dt.date, force: bool, actor: str, as_json: bool
) -> None:
    """Sätt bevakningsdatum: när ärendets rapport senast ska komma in.

    Exempel: casefile due "SFG 26-01" 2026-12-31
    """
    from casefile.register import set_due_date

    app = get_app(ctx)
    today = dt.datetime.now(app.settings.registry.zone).date()
    if date < today and not force:
        raise Failure(
            f"{date.isoformat()} har redan passerat; lägg till --force om datumet ändå är rätt"
        )
    number = _staff_act(ctx, lambda app, s: set_due_date(s, app.settings, ref, date, actor).number)
    if as_json:
        print_json({"case": number, "due_date": date.isoformat()})
    else:
        click.echo(f"{number}: bevakningsdatum {date.isoformat()}.")
