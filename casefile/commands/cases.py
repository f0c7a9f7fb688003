"""Staff acts on cases and documents: close, reopen, correct, unsign, secrecy."""

from __future__ import annotations

from typing import Any

import click

from casefile.cli_support import Failure, Word, json_option, one_line_errors, print_json
from casefile.commands.common import REF, act, actor_of, by_option
from casefile.history import shown_value
from casefile.states import DocumentKind, field_choices, field_code, field_label


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


def k_names(kind: DocumentKind) -> tuple[str, str, str]:
    return (kind.value, kind.sv.casefold(), kind.en.casefold())


@click.command()
@click.argument("ref", type=REF)
@click.argument("field", type=Word("FÄLT", "FIELD"))
@click.argument("value", type=Word("VÄRDE", "VALUE"))
@click.option("--reason", default=None, help="Skäl (krävs för ankomstdatum).")
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

    FÄLT, på svenska eller som kod: insats (title), organisation, typ (kind), startdatum
    (period_start), slutdatum (period_end), beviljat (granted_sek), förbrukat (spent_sek),
    arbetsplats (workplace), kontaktperson (contact_name), telefon (contact_phone), e-post
    (contact_email), postnummer (postal_code), postort (postal_town), underskriftsdatum
    (submitter_date), undertecknare (submitter_name). Anmärkningar och bevakningsdatum
    räknas om. Ankomstdatum (received_date) med --reason; diarienumret behålls.

    Exempel: casefile rätta "SFG 26-01.01" slutdatum 2026-06-30
    """
    from casefile.register import (
        CORRECTABLE,
        RECEIVED_DATE,
        correct_field,
        correct_received_date,
    )

    who = actor_of(actor)
    field = field_code(field)
    if field not in CORRECTABLE and field != RECEIVED_DATE:
        raise Failure(f"fältet {field!r} kan inte rättas; välj bland: {field_choices()}")
    if reason is not None and field != RECEIVED_DATE:
        raise click.UsageError(f"--reason gäller bara {field_label(RECEIVED_DATE)}", ctx)
    if field == "kind":  # `typ okänd` as well as `kind unknown`
        value = next((k.value for k in DocumentKind if value.casefold() in k_names(k)), value)

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
    old, new = (shown_value(field, result[key]) for key in ("old", "new"))
    click.echo(f"{result['diarienummer']}: {field_label(field)} {old} → {new}.")
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
