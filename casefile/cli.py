"""`casefile`: the staff's command line over the register. A thin layer over casefile.register
and casefile.queries; every data command takes --json."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from casefile.cli_support import (
    DATE,
    REF,
    LazyGroup,
    StateType,
    by_option,
    clip,
    config_option,
    get_app,
    json_option,
    limit_option,
    one_line_errors,
    print_json,
    render_table,
    run_main,
    safe_text,
)
from casefile.db.engine import read_only
from casefile.i18n import t
from casefile.states import (
    AuthVerdict,
    CaseStatus,
    DocumentStatus,
    MessageState,
    choices,
    event_label,
    label_of,
)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    # The outbox and reminder commands live with the outgoing-mail code they drive.
    lazy={
        "remind": "intake.outgoing.commands:remind_command",
        "outbox": "intake.outgoing.commands:outbox_command",
        "requeue": "intake.outgoing.commands:requeue_command",
        "export": "casefile.export.cli:export_group",
        "contact": "casefile.commands.contact:contact_command",
        "move": "casefile.commands.move:move_command",
    },
)
@config_option
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """casefile – diariet: ärenden och handlingar."""
    ctx.meta["config_path"] = config_path


@cli.command()
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


def _doc_rows(docs: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            d["diarienummer"],
            d["received_date"],
            d["kind"],
            clip(d["title"], 28),
            clip(d["organisation"], 28),
            t("yes") if d["submitter_signed"] else t("no"),
            d["signature"] or "",
            label_of(DocumentStatus, d["status"]),
        ]
        for d in docs
    ]


_DOC_HEADERS = [
    "diarienummer",
    "received",
    "kind",
    "title",
    "organisation",
    "submitter_signed",
    "signature",
    "status",
]


@cli.command("list")
@click.option("--case", "case_ref", type=REF, help="Bara detta ärendes handlingar.")
@click.option("--status", type=StateType(DocumentStatus), help=choices(DocumentStatus))
@click.option("--since", type=DATE, help="Inkomna detta datum eller senare (ÅÅÅÅ-MM-DD).")
@click.option("--unsigned", is_flag=True, help="Ännu inte signerade av en handläggare.")
@click.option(
    "--problems", is_flag=True, help="Rapporter med brister (ej undertecknade, uppgifter saknas)."
)
@limit_option()
@json_option
@click.pass_context
@one_line_errors
def list_(
    ctx: click.Context,
    case_ref: str | None,
    status: DocumentStatus | None,
    since: dt.date | None,
    unsigned: bool,
    problems: bool,
    limit: int,
    as_json: bool,
) -> None:
    """Registrerade handlingar, nyaste först.

    Exempel: casefile list --unsigned --since 2026-01-01
    """
    from casefile.queries import DocumentFilter, case_row, list_documents

    app = get_app(ctx)
    with read_only(app.engine) as conn:
        case = case_row(conn, app.settings, case_ref) if case_ref else None
        flt = DocumentFilter(
            case_id=case["id"] if case else None,
            status=status,
            since=since,
            unsigned=unsigned,
            problems=problems,
            limit=limit or None,
        )
        docs = list_documents(conn, flt)
    if as_json:
        print_json(docs)
    elif not docs:
        click.echo(t("none"))
    else:
        click.echo(render_table([t(h) for h in _DOC_HEADERS], _doc_rows(docs)))


@cli.command()
@click.argument("ref", type=REF)
@json_option
@click.pass_context
@one_line_errors
def show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Ett ärende med alla handlingar. REF: ärende (SFG 26-01) eller handling (SFG 26-01.02).

    Exempel: casefile show "SFG 26-01"
    """
    from casefile.queries import case_json, case_row

    app = get_app(ctx)
    with read_only(app.engine) as conn:
        data = case_json(conn, case_row(conn, app.settings, ref))
    if as_json:
        print_json(data)
        return
    head = f"{t('case')} {data['case']}: {data['title']} – {data['organisation']}"
    click.echo(safe_text(head))
    status = label_of(CaseStatus, data["status"])
    click.echo(f"{t('status')}: {status}   {t('due')}: {data['due_date'] or '–'}")
    _show_trust(data)
    click.echo("")
    click.echo(render_table([t(h) for h in _DOC_HEADERS], _doc_rows(data["documents"])))
    for d in data["documents"]:
        for f in d["findings"]:
            click.echo(safe_text(f"  {d['diarienummer']}: {f['message']}"))
    click.echo("")
    click.echo(f"{t('events')}:")
    zone = app.settings.registry.zone
    for e in data["events"]:
        what = e["document"] or data["case"]
        # Staff read times in the registry's zone; JSON keeps UTC with its offset.
        at = dt.datetime.fromisoformat(e["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        click.echo(safe_text(f"  {at}  {e['actor']:<10} {event_label(e['action']):<24} {what}"))
        if e["action"] == "document_moved":
            d = e["detail"]
            moved = "      " + t("moved").format(
                number=d.get("diarienummer"), source=d.get("from"), target=d.get("to")
            )
            click.echo(safe_text(moved))


def _show_trust(data: dict[str, Any]) -> None:
    """Sender trust in `show`: who may get mail about the case, and what staff must look at."""
    if data["confirmed_contact_email"]:
        by = clip(data["confirmed_contact_by"], 10)
        address = clip(data["confirmed_contact_email"], 50)
        click.echo(t("contact_confirmed").format(address=address, by=by))
    elif data["contact_email"]:
        address = clip(data["contact_email"], 40)
        click.echo(t("contact_candidate").format(address=address))
    if data["flag"]:
        click.echo(t("flag").format(flag=clip(data["flag"], 74)))
    for d in data["documents"]:
        # A failed sender is in the document's flag too; say it once.
        if d["flag"]:
            click.echo(f"  {d['diarienummer']}: {clip(d['flag'], 60)}")


def _staff_act(ctx: click.Context, act: Any) -> Any:
    app = get_app(ctx)
    with app.sessions() as session, session.begin():
        return act(app, session)


@cli.command()
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


@cli.command()
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


@cli.command()
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


@cli.command()
@click.argument("ref", type=REF)
@click.argument("date", type=DATE)
@by_option
@json_option
@click.pass_context
@one_line_errors
def due(ctx: click.Context, ref: str, date: dt.date, actor: str, as_json: bool) -> None:
    """Sätt bevakningsdatum: när ärendets rapport senast ska komma in.

    Exempel: casefile due "SFG 26-01" 2026-12-31
    """
    from casefile.register import set_due_date

    number = _staff_act(ctx, lambda app, s: set_due_date(s, app.settings, ref, date, actor).number)
    if as_json:
        print_json({"case": number, "due_date": date.isoformat()})
    else:
        click.echo(f"{number}: bevakningsdatum {date.isoformat()}.")


@cli.command()
@click.option("--all", "include_handled", is_flag=True, help="Även post som redan är hanterad.")
@json_option
@click.pass_context
@one_line_errors
def inbox(ctx: click.Context, include_handled: bool, as_json: bool) -> None:
    """Post som behöver handläggas: ingen rapport, eller en bilaga som inte gick att läsa.

    Exempel: casefile inbox
    """
    from casefile.queries import inbox_json

    app = get_app(ctx)
    with read_only(app.engine) as conn:
        items = inbox_json(conn, include_handled)
    if as_json:
        print_json(items)
        return
    click.echo(f"{t('mail')}: {len(items)}")
    rows = []
    for m in items:
        reason = m["reason"] or "; ".join(a["error"] for a in m["attachments"] if a["error"])
        # Sender trust: why a registered message still needs a person.
        trust = [f for f in m["flags"] if f != "avsändaren kunde inte verifieras"]
        if m["auth_verdict"] == AuthVerdict.FAILED:
            trust.append(f"avsändaren kunde inte verifieras: {m['auth_detail']}")
        reason = "; ".join([r for r in (reason, *trust) if r])
        rows.append(
            [
                str(m["id"]),
                m["internal_date"][:10],
                clip(m["sender"], 30),
                clip(m["subject"], 30),
                label_of(MessageState, m["state"]),
                clip(reason, 60),
            ]
        )
    if rows:
        click.echo(
            render_table(["Id", t("received"), t("sender"), "Ämne", t("state"), t("reason")], rows)
        )


def main() -> None:
    run_main(cli, "casefile")
