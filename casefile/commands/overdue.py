"""`casefile overdue`: cases whose report is due or past due."""

from __future__ import annotations

import datetime as dt

import click

from casefile.cli_support import json_option, one_line_errors, print_json
from casefile.commands.common import DATE, app_of
from casefile.commands.table import Column, table
from casefile.db.engine import read_only
from casefile.i18n import count


@click.command()
@click.option("--date", "today", type=DATE, help="Räkna som om det vore detta datum.")
@click.option("--wide", is_flag=True, help="Alla kolumner, oavsett terminalens bredd.")
@json_option
@click.pass_context
@one_line_errors
def overdue(ctx: click.Context, today: dt.date | None, wide: bool, as_json: bool) -> None:
    """Öppna ärenden vars slutrapport ska ha kommit in senast idag men saknas.

    Visar bevakningsdatumet som påminnelserna använder och hur det har satts.

    Exempel: casefile overdue
    """
    from casefile.queries import overdue_cases

    app = app_of(ctx)
    day = today or dt.datetime.now(app.settings.registry.zone).date()
    with read_only(app.engine) as conn:
        rows = overdue_cases(conn, app.settings, day)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"Inga ärenden är försenade per {day.isoformat()}.")
        return
    source = {"staff": "handläggare", "period": "insatstid"}
    columns = [
        Column("Ärende"),
        Column("Insats", flex=True),
        Column("Organisation", flex=True),
        Column("Bevakning"),
        Column("Satt av"),
        Column("Dagar"),
    ]
    body = [
        [
            r["case"],
            r["title"] or "",
            r["organisation"] or "",
            r["due_date"],
            source.get(r["due_source"], ""),
            str(r["days_overdue"]),
        ]
        for r in rows
    ]
    if wide:
        columns.append(Column("Kontakt", flex=True))
        for row, r in zip(body, rows, strict=True):
            row.append(r["contact_email"] or "")
    click.echo(table(columns, body))
    late = count(len(rows), "ärende försenat", "ärenden försenade")
    click.echo(f"{late} per {day.isoformat()}.")
