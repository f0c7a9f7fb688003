"""`casefile`: the staff's command line over the register. A thin layer over casefile.register
and casefile.queries; every data command takes --json."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from casefile.cli_support import (
    DATE,
    REF,
    Failure,
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
    run_main,
    safe_text,
)
from casefile.commands.table import Column, table, terminal_width
from casefile.db.engine import read_only
from casefile.history import kind_label
from casefile.i18n import t
from casefile.states import (
    AuthVerdict,
    CaseStatus,
    DocumentKind,
    DocumentStatus,
    MessageState,
    choices,
    event_label,
    label_of,
    readable_reason,
)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    # The outbox and reminder commands live with the outgoing-mail code they drive.
    lazy={
        "remind": "intake.outgoing.commands:remind_command",
        "outbox": "intake.outgoing.commands:outbox_command",
        "requeue": "intake.outgoing.commands:requeue_command",
        "register": "casefile.commands.register:register_command",
        "close": "casefile.commands.cases:close",
        "reopen": "casefile.commands.cases:reopen",
        "correct": "casefile.commands.cases:correct",
        "unsign": "casefile.commands.cases:unsign",
        "secrecy": "casefile.commands.cases:secrecy",
        "mail": "casefile.commands.mailbox:mail",
        "dismiss": "casefile.commands.mailbox:dismiss",
        "search": "casefile.commands.search:search",
        "overdue": "casefile.commands.overdue:overdue",
        "export": "casefile.export.cli:export_group",
        "contact": "casefile.commands.contact:contact_command",
        "move": "casefile.commands.move:move_command",
        "file": "casefile.commands.file:file_command",
        "copy": "casefile.commands.copy:copy_command",
        "web": "casefile.commands.web:web_command",
    },
    # Swedish names beside the English ones; help lists them after the command.
    aliases={
        "avför": "dismiss",
        "avsignera": "unsign",
        "avsluta": "close",
        "anteckna": "note",
        "bevaka": "due",
        "brev": "mail",
        "exportera": "export",
        "flytta": "move",
        "försenade": "overdue",
        "inkorg": "inbox",
        "kontakt": "contact",
        "lista": "list",
        "makulera": "cancel",
        "påminn": "remind",
        "registrera": "register",
        "rätta": "correct",
        "sekretess": "secrecy",
        "signera": "sign",
        "skicka-igen": "requeue",
        "sök": "search",
        "utkorg": "outbox",
        "visa": "show",
        "återöppna": "reopen",
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


def _list_columns(wide: bool) -> list[Column]:
    cols = [
        Column(t("diarienummer")),
        Column(t("received")),
        Column(t("title"), flex=True),
        Column(t("organisation"), flex=True),
        Column(t("signature_short")),
        Column(t("status")),
    ]
    if wide:
        cols[2:2] = [Column(t("kind"))]
        cols[-1:-1] = [Column(t("submitter_signed")), Column(t("sender"), flex=True)]
    return cols


def _list_row(d: dict[str, Any], wide: bool) -> list[str]:
    row = [
        d["diarienummer"],
        d["received_date"],
        d["title"] or "",
        d["organisation"] or "",
        d["signature"] or "",
        label_of(DocumentStatus, d["status"]),
    ]
    if wide:
        row[2:2] = [kind_label(d["kind"])]
        signed = t("yes") if d["submitter_signed"] else t("no")
        row[-1:-1] = [signed, d["sender"] or ""]
    return row


@cli.command("list")
@click.option("--case", "case_ref", type=REF, help="Bara detta ärendes handlingar.")
@click.option("--status", type=StateType(DocumentStatus), help=choices(DocumentStatus))
@click.option("--since", type=DATE, help="Inkomna detta datum eller senare (ÅÅÅÅ-MM-DD).")
@click.option("--until", type=DATE, help="Inkomna detta datum eller tidigare (ÅÅÅÅ-MM-DD).")
@click.option("--org", metavar="TEXT", help="Organisationen innehåller TEXT.")
@click.option("--kind", type=StateType(DocumentKind), help=choices(DocumentKind))
@click.option("--unsigned", is_flag=True, help="Ännu inte signerade av en handläggare.")
@click.option(
    "--problems", is_flag=True, help="Rapporter med brister (ej undertecknade, uppgifter saknas)."
)
@limit_option()
@click.option("--wide", is_flag=True, help="Alla kolumner, oavsett terminalens bredd.")
@json_option
@click.pass_context
@one_line_errors
def list_(
    ctx: click.Context,
    case_ref: str | None,
    status: DocumentStatus | None,
    since: dt.date | None,
    until: dt.date | None,
    org: str | None,
    kind: str | None,
    unsigned: bool,
    problems: bool,
    limit: int,
    wide: bool,
    as_json: bool,
) -> None:
    """Registrerade handlingar, nyaste först.

    Exempel: casefile list --status makulerad --since 2026-01-01
    """
    from casefile.queries import DocumentFilter, case_row, count_documents, list_documents

    app = get_app(ctx)
    with read_only(app.engine) as conn:
        case = case_row(conn, app.settings, case_ref) if case_ref else None
        flt = DocumentFilter(
            case_id=case["id"] if case else None,
            status=status,
            since=since,
            until=until,
            org=org,
            kind=kind,
            unsigned=unsigned,
            problems=problems,
            limit=limit or None,
        )
        docs = list_documents(conn, flt)
        total = count_documents(conn, flt) if limit and len(docs) == limit else len(docs)
    if as_json:
        print_json(docs)
    elif not docs:
        click.echo(t("none"))
    else:
        click.echo(table(_list_columns(wide), [_list_row(d, wide) for d in docs]))
        if total > len(docs):
            click.echo(f"visar {len(docs)} av {total} — använd --limit 0 för alla")


def _doc_table(docs: list[dict[str, Any]]) -> str:
    columns = [
        Column(t("diarienummer")),
        Column(t("received")),
        Column(t("kind")),
        Column(t("title"), flex=True),
        Column(t("signature_short")),
        Column(t("status")),
    ]
    rows = [
        [
            d["diarienummer"],
            d["received_date"],
            kind_label(d["kind"]),
            d["title"] or "",
            d["signature"] or "",
            label_of(DocumentStatus, d["status"]),
        ]
        for d in docs
    ]
    return table(columns, rows)


def _warnings(data: dict[str, Any]) -> list[str]:
    """What staff should look at: a document of another insats or organisation than its case,
    a possible personnummer without a secrecy marking, a flag."""
    from casefile.matching import normalise_key

    out = []
    for d in data["documents"]:
        if d["cancelled"]:
            continue
        number = d["diarienummer"]
        for key, word in (("title", "insatsen"), ("organisation", "organisationen")):
            mine, theirs = d[key] or "", data[key] or ""
            if mine and theirs and normalise_key(mine) != normalise_key(theirs):
                out.append(f"{number}: {word} ”{mine}” skiljer sig från ärendets ”{theirs}”")
        if d["flag"]:  # in full: the lines above cut it to the terminal
            out.append(f"{number}: {d['flag']}")
        codes = {f.get("code") for f in d["findings"]}
        if "possible_personnummer" in codes and not d["secrecy"]:
            out.append(
                f"{number}: kan innehålla personnummer — överväg "
                f'casefile secrecy "{number}" --provision "OSL 21 kap. 1 §"'
            )
    return out


def _wrapped(text: str, width: int | None, indent: int) -> list[str]:
    import textwrap

    text = safe_text(text)  # titles, notes and reasons come from senders and staff
    if width is None or len(text) <= width:
        return [text]
    lead = len(text) - len(text.lstrip(" "))
    return textwrap.wrap(
        text.strip(),
        width,
        initial_indent=" " * lead,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
    )


def _event_lines(data: dict[str, Any], zone: Any, width: int | None) -> list[str]:
    import textwrap

    from casefile.history import describe

    lines = []
    for e in data["events"]:
        what = e["document"] or data["case"]
        # Staff read times in the registry's zone; JSON keeps UTC with its offset.
        at = dt.datetime.fromisoformat(e["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        head = f"  {at}  {clip(e['actor'], 8):<8}  {event_label(e['action']):<21} {what}"
        detail = describe(e["action"], e["detail"])
        head, detail = safe_text(head), safe_text(detail)
        if not detail:
            lines.append(head)
        elif width is None or len(head) + 2 + len(detail) <= width:
            lines.append(f"{head}  {detail}")
        else:
            lines.append(head)
            lines.extend(
                textwrap.wrap(detail, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
            )
    return lines


@cli.command()
@click.argument("ref", type=REF)
@json_option
@click.pass_context
@one_line_errors
def show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Ett ärende med alla handlingar. REF: ärende (SFG 26-01) eller handling (SFG 26-01.02).

    Exempel: casefile show "SFG 26-01"
    """
    from casefile.i18n import language
    from casefile.queries import case_json, case_row, due_source_text
    from intake.extract.signatures import describe as describe_signature

    app = get_app(ctx)
    with read_only(app.engine) as conn:
        data = case_json(conn, case_row(conn, app.settings, ref), app.settings)
    if as_json:
        print_json(data)
        return
    width = terminal_width()

    def say(text: str, indent: int = 0) -> None:
        for line in _wrapped(text, width, indent):
            click.echo(line)

    say(f"{t('case')} {data['case']}: {data['title']} – {data['organisation']}", 2)
    status = label_of(CaseStatus, data["status"])
    if data["status"] == "closed" and data["close_reason"]:
        status += f" ({data['close_reason']})"
    click.echo(f"{t('status')}: {status}")
    due = data["effective_due_date"] or "–"
    say(f"{t('due')}: {due} ({due_source_text(app.settings, data['due_source'])})", 2)
    if any(d["kind"] == "slutrapport" and not d["cancelled"] for d in data["documents"]):
        say("  Slutrapporten har kommit in: inga påminnelser.", 4)
    _show_trust(data)
    click.echo("")
    click.echo(_doc_table(data["documents"]))
    for d in data["documents"]:
        if d["cancel_reason"]:
            say(f"  {d['diarienummer']}: makulerad – {d['cancel_reason']}", 4)
        if d["secrecy"]:
            s = d["secrecy"]
            say(f"  {d['diarienummer']}: sekretess {s['provision']} ({s['by']})", 4)
        for entry in d.get("signatures") or []:
            say(f"  {d['diarienummer']}: {describe_signature(entry, language())}", 4)
        for f in d["findings"]:
            say(f"  {d['diarienummer']}: {f['message']}", 4)
    warnings = _warnings(data)
    if warnings:
        click.echo("")
        click.echo("Varningar:")
        for w in warnings:
            say(f"  {w}", 4)
    click.echo("")
    click.echo(f"{t('events')}:")
    for line in _event_lines(data, app.settings.registry.zone, width):
        click.echo(line)


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


@cli.command()
@click.option(
    "--all", "include_handled", is_flag=True, help="Även post som redan är hanterad eller avförd."
)
@json_option
@click.pass_context
@one_line_errors
def inbox(ctx: click.Context, include_handled: bool, as_json: bool) -> None:
    """Post som behöver handläggas: ingen rapport, eller en bilaga som inte gick att läsa.

    Läs ett brev med casefile mail ID; avför det med casefile dismiss ID --reason TEXT.

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
    zone = app.settings.registry.zone
    rows, reasons = [], []
    for m in items:
        reason = m["reason"] or "; ".join(a["error"] for a in m["attachments"] if a["error"])
        # Sender trust: why a registered message still needs a person.
        trust = [f for f in m["flags"] if f != "avsändaren kunde inte verifieras"]
        if m["auth_verdict"] == AuthVerdict.FAILED:
            trust.append(f"avsändaren kunde inte verifieras: {m['auth_detail']}")
        reason = "; ".join([r for r in (reason, *trust) if r])
        if m["dismissed_at"]:
            reason = f"avförd: {m['dismiss_reason']}"
        # Ankomstdatum is the arrival day in the registry's zone, as in the register.
        arrived = dt.datetime.fromisoformat(m["internal_date"]).astimezone(zone).date()
        rows.append(
            [
                str(m["id"]),
                arrived.isoformat(),
                m["sender"] or "",
                m["subject"] or "",
                label_of(MessageState, m["state"]),
            ]
        )
        # The reason is what a person acts on: its own line under the row, whole.
        reasons.append(f"{t('reason')}: {readable_reason(reason)}" if reason else "")
    if rows:
        columns = [
            Column("Id"),
            Column(t("received")),
            Column(t("sender"), flex=True),
            Column(t("subject"), flex=True),
            Column(t("state")),
        ]
        click.echo(table(columns, rows, reasons))


def main() -> None:
    run_main(cli, "casefile")
