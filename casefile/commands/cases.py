"""Staff acts on cases and documents: close, reopen, correct, unsign, secrecy."""

from __future__ import annotations

from typing import Any

import click

from casefile.cli_support import json_option, one_line_errors, print_json
from casefile.commands.common import REF, act, actor_of, by_option


@click.command()
@click.argument("ref", type=REF)
@click.option("--reason", help="Varför ärendet avslutas.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def close(
    ctx: click.Context, ref: str, reason: str | None, actor: str | None, as_json: bool
) -> None:
    """Avsluta ett ärende: inga påminnelser eller begäranden om komplettering efter detta.

    Köade påminnelser för ärendet stoppas.

    Exempel: casefile close "SFG 26-01" --reason "Slutrapporten godkänd av styrelsen"
    """
    from casefile.register import close_case

    who = actor_of(actor)
    number, stopped = act(
        ctx,
        lambda app, s: (lambda r: (r[0].number, r[1]))(
            close_case(s, app.settings, ref, reason, who)
        ),
    )
    if as_json:
        print_json({"case": number, "status": "closed", "reason": reason, "stopped_mail": stopped})
        return
    extra = f" {stopped} köade utskick stoppades." if stopped else ""
    click.echo(f"{number} är avslutat.{extra}")


@click.command()
@click.argument("ref", type=REF)
@by_option
@json_option
@click.pass_context
@one_line_errors
def reopen(ctx: click.Context, ref: str, actor: str | None, as_json: bool) -> None:
    """Öppna ett avslutat ärende igen.

    Exempel: casefile reopen "SFG 26-01"
    """
    from casefile.register import reopen_case

    who = actor_of(actor)
    number = act(ctx, lambda app, s: reopen_case(s, app.settings, ref, who).number)
    if as_json:
        print_json({"case": number, "status": "open"})
    else:
        click.echo(f"{number} är öppnat igen.")


@click.command()
@click.argument("ref", type=REF)
@click.argument("field")
@click.argument("value")
@click.option("--reason", default=None, help="Skäl (krävs för received_date).")
@by_option
@json_option
@click.pass_context
@one_line_errors
def correct(
    ctx: click.Context,
    ref: str,
    field: str,
    value: str,
    reason: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Rätta en utläst uppgift i en handling; det gamla värdet finns kvar i historiken.

    FIELD: title, organisation, kind, period_start, period_end, granted_sek, spent_sek,
    workplace, contact_name, contact_phone, contact_email, postal_code, postal_town,
    submitter_date, submitter_name. Anmärkningar och bevakningsdatum räknas om.
    received_date (ankomstdatum) med --reason; diarienumret behålls.

    Exempel: casefile correct "SFG 26-01.01" period_end 2026-06-30
    """
    from casefile.register import RECEIVED_DATE, correct_field, correct_received_date

    who = actor_of(actor)
    if reason is not None and field != RECEIVED_DATE:
        raise click.UsageError(f"--reason gäller bara {RECEIVED_DATE}", ctx)

    def work(app: Any, s: Any) -> dict[str, Any]:
        if field == RECEIVED_DATE:
            doc, old, new = correct_received_date(s, app.settings, ref, value, reason, who)
        else:
            doc, old, new = correct_field(s, app.settings, ref, field, value, who)
        return {
            "diarienummer": doc.diarienummer,
            "field": field,
            "old": old,
            "new": new,
            "status": doc.status,
            "findings": doc.findings,
        }

    result = act(ctx, work)
    if as_json:
        print_json(result)
        return
    old = "–" if result["old"] in (None, "") else result["old"]
    click.echo(f"{result['diarienummer']}: {field} {old} → {result['new']}.")
    for f in result["findings"]:
        click.echo(f"  {f['message']}")


@click.command()
@click.argument("ref", type=REF)
@click.option("--reason", required=True, help="Varför signaturen tas tillbaka.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def unsign(ctx: click.Context, ref: str, reason: str, actor: str | None, as_json: bool) -> None:
    """Ta tillbaka en handläggares signatur på en handling.

    Exempel: casefile unsign "SFG 26-01.02" --reason "Signerat i fel ärende"
    """
    from casefile.register import unsign_document

    who = actor_of(actor)
    number = act(
        ctx, lambda app, s: unsign_document(s, app.settings, ref, reason, who).diarienummer
    )
    if as_json:
        print_json({"diarienummer": number, "signature": None, "reason": reason})
    else:
        click.echo(f"{number}: signaturen är borttagen.")


@click.command()
@click.argument("ref", type=REF)
@click.option("--provision", required=True, metavar="TEXT", help='T.ex. "OSL 21 kap. 1 §".')
@click.option("--public-title", metavar="TEXT", help="Titeln som visas i offentliga förteckningar.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def secrecy(
    ctx: click.Context,
    ref: str,
    provision: str,
    public_title: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Sekretessmarkera en handling (OSL 5 kap. 5 §): bestämmelse, datum och vem.

    Exempel: casefile secrecy "SFG 26-01.02" --provision "OSL 21 kap. 1 §"
    """
    from casefile.register import mark_secrecy

    who = actor_of(actor)

    def work(app: Any, s: Any) -> dict[str, Any]:
        doc = mark_secrecy(s, app.settings, ref, provision, public_title, who)
        return {
            "diarienummer": doc.diarienummer,
            "provision": doc.secrecy_provision,
            "public_title": doc.secrecy_public_title,
            "at": doc.secrecy_at.isoformat() if doc.secrecy_at else None,
            "by": doc.secrecy_by,
        }

    result = act(ctx, work)
    if as_json:
        print_json(result)
    else:
        click.echo(f"{result['diarienummer']}: sekretessmarkerad enligt {result['provision']}.")
