"""Staff commands for outgoing mail: `casefile remind`, `casefile outbox` and
`casefile requeue` (`intake send` is intake/commands/send.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from sqlalchemy import select

from casefile.app import App
from casefile.cli_support import (
    DATE,
    ROW_ID,
    StateType,
    by_option,
    get_app,
    json_option,
    limit_option,
    one_line_errors,
    print_json,
)
from casefile.clock import iso as _iso
from casefile.commands.table import Column, table
from casefile.db.models import OutboxMail, utcnow
from casefile.states import MailKind, OutboxState, choices, label_of


def _state_label(code: str | None) -> str:
    return label_of(OutboxState, code)


def _kind_label(code: str | None) -> str:
    return label_of(MailKind, code)


def _today(app: App, value: dt.date | None) -> dt.date:
    if value is None:
        return utcnow().astimezone(app.settings.registry.zone).date()
    return value


def outbox_json(row: OutboxMail) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "recipient": row.recipient,
        "subject": row.subject,
        "message_id": row.message_id,
        "dedupe_key": row.dedupe_key,
        "attempts": row.attempts,
        "created_at": _iso(row.created_at),
        "next_attempt_at": _iso(row.next_attempt_at),
        "sent_at": _iso(row.sent_at),
        "reason": row.last_error,
        "case_id": row.case_id,
        "document_id": row.document_id,
    }


@click.command("remind")
@click.option("--queue", is_flag=True, help="Köa breven (annars visas bara vad som skulle köas).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Visa bara, köa inget (standard; kan inte kombineras med --queue).",
)
@click.option("--date", "date_", type=DATE, help="Räkna som om det vore detta datum.")
@click.option(
    "--digest",
    is_flag=True,
    help="Köa också dagens sammanställning till handläggarna (med --queue).",
)
@json_option
@click.pass_context
@one_line_errors
def remind_command(
    ctx: click.Context,
    queue: bool,
    dry_run: bool,
    date_: dt.date | None,
    digest: bool,
    as_json: bool,
) -> None:
    """Visa vilka påminnelser och kompletteringsbrev som ska ut nu, och varför.

    Inget köas utan --queue; tjänsten (intake serve) köar dem själv enligt schemat.

    Exempel: casefile remind, sedan casefile remind --queue
    """
    from intake.outgoing.digest import queue_digest
    from intake.outgoing.reminders import plan_reminders, queue_planned

    if queue and dry_run:
        raise click.UsageError("--queue och --dry-run går inte att kombinera", ctx)
    if digest and not queue:
        raise click.UsageError("--digest köar ett brev: lägg till --queue", ctx)
    app = get_app(ctx)
    today = _today(app, date_)
    with app.sessions() as session, session.begin():
        plans = plan_reminders(session, app.settings, today)
        if not queue:
            items = [{**p.as_json(), "outbox_id": None, "state": None} for p in plans]
            session.rollback()
            digest_row = None
        else:
            items = [
                {**p.as_json(), "outbox_id": row.id, "state": row.state}
                for p, row in queue_planned(session, app.settings, plans, today)
            ]
            digest_row = queue_digest(session, app.settings, today) if digest else None
    if as_json:
        print_json(
            {
                "date": today.isoformat(),
                "dry_run": not queue,
                "mails": items,
                "digest_outbox_id": digest_row.id if digest_row is not None else None,
            }
        )
        return
    verb = "Köade" if queue else "Skulle köas"
    click.echo(f"{verb} {today.isoformat()}: {len(items)} brev.")
    if items:
        columns = [
            Column("Typ"),
            Column("Ärende/handling"),
            Column("Mottagare", flex=True),
            *([Column("Läge")] if queue else []),
        ]
        rows = [
            [
                _kind_label(m["kind"]),
                m["document_number"] or m["case_number"],
                m["recipient"] or "(ingen adress)",
                *([_state_label(m["state"])] if queue else []),
            ]
            for m in items
        ]
        # Why is what a person checks: under each row, whole.
        click.echo(table(columns, rows, [f"Varför: {m['why']}" for m in items]))
    if not queue and items:
        click.echo("Inget är köat; casefile remind --queue köar breven.")
    if digest_row is not None:
        click.echo(f"Sammanställning till handläggarna: brev nr {digest_row.id}.")


@click.command("outbox")
@click.option(
    "--state", type=StateType(OutboxState), help=f"Bara brev i detta läge: {choices(OutboxState)}."
)
@limit_option()
@click.option("--wide", is_flag=True, help="Alla kolumner, oavsett terminalens bredd.")
@json_option
@click.pass_context
@one_line_errors
def outbox_command(
    ctx: click.Context, state: OutboxState | None, limit: int, wide: bool, as_json: bool
) -> None:
    """Automatiska brev: i kö, skickade, misslyckade, osäkra och stoppade.

    Exempel: casefile outbox --state uncertain
    """
    app = get_app(ctx)
    stmt = select(OutboxMail).order_by(OutboxMail.id.desc())
    if state:
        stmt = stmt.where(OutboxMail.state == state)
    if limit:
        stmt = stmt.limit(limit)
    with app.sessions() as session:
        rows = [outbox_json(r) for r in session.execute(stmt).scalars()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("Inga brev.")
        return
    zone = app.settings.registry.zone

    def when(r: dict[str, Any]) -> str:
        # In the registry's zone, as every other command; JSON keeps UTC with its offset.
        at = dt.datetime.fromisoformat(r["sent_at"] or r["created_at"])
        if at.tzinfo is None:  # SQLite gives naive UTC back
            at = at.replace(tzinfo=dt.UTC)
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    columns = [
        Column("Nr"),
        Column("Tid"),
        Column("Läge"),
        Column("Typ"),
        Column("Mottagare", flex=True),
        *([Column("Ämne", flex=True), Column("Försök")] if wide else []),
    ]
    body = [
        [
            str(r["id"]),
            when(r),
            _state_label(r["state"]),
            _kind_label(r["kind"]),
            r["recipient"] or "(ingen adress)",
            *([r["subject"] or "", str(r["attempts"])] if wide else []),
        ]
        for r in rows
    ]
    # Why a mail was stopped or failed is what staff act on: under its row, whole.
    reasons = [f"Orsak: {r['reason']}" if r["reason"] else "" for r in rows]
    click.echo(table(columns, body, reasons, wide=wide))


@click.command("requeue")
@click.argument("mail_id", metavar="NR", type=ROW_ID)
@by_option(login_fallback=False)
@json_option
@click.pass_context
@one_line_errors
def requeue_command(ctx: click.Context, mail_id: int, actor: str, as_json: bool) -> None:
    """Skicka ett osäkert, misslyckat eller stoppat brev igen (ett beslut av en person).

    Exempel: casefile requeue 12 --by AKH
    """
    from intake.outgoing.sender import requeue_mail

    app = get_app(ctx)
    with app.sessions() as session, session.begin():
        row = requeue_mail(session, mail_id, actor)
        data = outbox_json(row)
    if as_json:
        print_json(data)
    else:
        click.echo(f"Brev nr {mail_id} till {data['recipient']} ligger i kö igen ({actor}).")
