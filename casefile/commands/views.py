"""What staff read: `casefile list`, `casefile show` and `casefile inbox`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from casefile.cli_support import (
    DATE,
    REF,
    StateType,
    clip,
    get_app,
    json_option,
    limit_option,
    one_line_errors,
    print_json,
    safe_text,
)
from casefile.commands.table import Column, table, terminal_width, wrap_to
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


@click.command("list")
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


@click.command()
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
        for line in wrap_to(text, width, indent):
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
        if d.get("validation_report"):
            r = d["validation_report"]
            line = t("validation_report").format(name=r["filename"], sha=r["sha256"][:12])
            say(f"  {d['diarienummer']}: {line}", 4)
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


@click.command()
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
