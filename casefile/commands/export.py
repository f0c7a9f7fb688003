"""`casefile export …`: the documents the office hands to others, each from one command."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from casefile.cli_support import (
    DATE,
    REF,
    Failure,
    get_app,
    json_option,
    one_line_errors,
    print_json,
)
from casefile.db.engine import read_only
from casefile.i18n import count

F = TypeVar("F", bound=Callable[..., Any])
DIARY_FORMATS = ("csv", "xlsx", "json")
BOARD_FORMATS = ("docx", "html")
FINSAM_FORMATS = ("xlsx", "csv")


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        help=f"Standard: filändelsen i --output, annars {choices[0]}.",
    )


def output_option(required: bool = True) -> Callable[[F], F]:
    return click.option(
        "--output",
        required=required,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Filen som skrivs.",
    )


def _format(fmt: str | None, output: Path | None, choices: tuple[str, ...]) -> str:
    """--format, else the output's suffix when it names one of the formats, else the first."""
    if fmt:
        return fmt
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return suffix if suffix in choices else choices[0]


def _check_output(output: Path | None) -> None:
    if output is not None and not output.parent.is_dir():
        raise Failure(f"mappen {output.parent} finns inte")


def _done(as_json: bool, summary: dict[str, object], line: str) -> None:
    # With --output the file is the product; stdout says what was written (or the JSON of it).
    if as_json:
        print_json(summary)
    else:
        click.echo(line)


@click.group("export")
def export_group() -> None:
    """Exportera ur diariet: diarieförteckning, styrelselista, Finsam-uppföljning, e-arkiv.

    Exempel: casefile export diary --from 2026-01-01 --to 2026-12-31 --output diarium.csv
    """


@export_group.command("diary", short_help="Diarieförteckning för en period.")
@click.option("--from", "first", required=True, type=DATE, help="Första dag (ÅÅÅÅ-MM-DD).")
@click.option("--to", "last", required=True, type=DATE, help="Sista dag (ÅÅÅÅ-MM-DD).")
@click.option("--public", is_flag=True, help="Version som kan lämnas ut (OSL 5:2).")
@format_option(*DIARY_FORMATS)
@output_option(required=False)
@json_option
@click.pass_context
@one_line_errors
def diary_command(
    ctx: click.Context,
    first: dt.date,
    last: dt.date,
    public: bool,
    fmt: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """Diarieförteckning för en period: varje nummer i ordning, makulerade som makulerad.

    Utan --output skrivs CSV eller JSON till skärmen (standard ut).

    Exempel: casefile export diary --from 2026-01-01 --to 2026-06-30 --public --output ut.csv
    """
    from casefile.export.diary import export_diary

    fmt = _format(fmt, output, DIARY_FORMATS)
    if last < first:
        raise click.BadParameter("--to är före --from", param_hint="--to")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx behöver --output FILE")
    if output is None and as_json:
        raise click.UsageError("--json går bara med --output (annars är listan själva utdatan)")
    _check_output(output)
    app = get_app(ctx)
    with read_only(app.engine) as conn:
        count = export_diary(
            conn, app.settings.registry, first, last, fmt, output, public, stdout=sys.stdout
        )
    if output is not None:
        _done(
            as_json,
            {"output": str(output), "format": fmt, "rows": count, "public": public},
            f"{count} rader skrivna till {output}.",
        )


@export_group.command("board", short_help="Styrelsens lista över inkomna rapporter.")
@click.option("--from", "first", required=True, type=DATE, help="Första dag (ÅÅÅÅ-MM-DD).")
@click.option("--to", "last", type=DATE, help="Sista dag (standard: i dag).")
@format_option(*BOARD_FORMATS)
@output_option()
@json_option
@click.pass_context
@one_line_errors
def board_command(
    ctx: click.Context,
    first: dt.date,
    last: dt.date | None,
    fmt: str | None,
    output: Path,
    as_json: bool,
) -> None:
    """Styrelsens lista över rapporter som kommit in under en period, med summor och diagram.

    Exempel: casefile export board --from 2026-01-01 --to 2026-03-31 --output styrelsen.docx
    """
    from casefile.export.board import board_report, write_docx, write_html

    fmt = _format(fmt, output, BOARD_FORMATS)
    app = get_app(ctx)
    zone = app.settings.registry.zone
    last = last or dt.datetime.now(zone).date()
    if last < first:
        raise click.BadParameter("--to är före --from", param_hint="--to")
    _check_output(output)
    with read_only(app.engine) as conn:
        report = board_report(conn, first, last, app.settings.registry.office_name)
    (write_docx if fmt == "docx" else write_html)(report, output)
    _done(
        as_json,
        {"output": str(output), "format": fmt, "reports": len(report.rows)},
        f"{len(report.rows)} rapporter skrivna till {output}.",
    )


@export_group.command("finsam", short_help="Årsuppföljning Finsam: en rad per insats.")
@click.option("--year", required=True, type=click.IntRange(2000, 2100), help="Året (ÅÅÅÅ).")
@format_option(*FINSAM_FORMATS)
@output_option()
@json_option
@click.pass_context
@one_line_errors
def finsam_command(
    ctx: click.Context, year: int, fmt: str | None, output: Path, as_json: bool
) -> None:
    """En rad per insats med de siffror årsuppföljningen (Uppföljning Finsam) frågar efter.

    Exempel: casefile export finsam --year 2026 --output uppfoljning-2026.xlsx
    """
    from casefile.export.finsam import finsam_rows, write_csv, write_xlsx

    fmt = _format(fmt, output, FINSAM_FORMATS)
    _check_output(output)
    app = get_app(ctx)
    with read_only(app.engine) as conn:
        rows = finsam_rows(conn, year)
    (write_csv if fmt == "csv" else write_xlsx)(rows, output)
    _done(
        as_json,
        {"output": str(output), "format": fmt, "year": year, "insatser": len(rows)},
        f"{len(rows)} insatser skrivna till {output}.",
    )


@export_group.command("archive", short_help="E-arkivpaket (E-ARK, FGS) av ärenden.")
@click.argument("refs", nargs=-1, type=REF, metavar="[REF]...")
@click.option("--closed-before", type=DATE, help="Alla ärenden avslutade före detta datum.")
@click.option(
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Mapp, eller en fil som slutar på .zip.",
)
@click.option(
    "--content-type",
    type=click.Choice(["citserms_v2_1", "citserms_v3_0", "ERMS"]),
    default=None,
    help="csip:CONTENTINFORMATIONTYPE i METS.xml (standard: export.content_information_type).",
)
@json_option
@click.pass_context
@one_line_errors
def archive_command(
    ctx: click.Context,
    refs: tuple[str, ...],
    closed_before: dt.date | None,
    output: Path,
    content_type: str | None,
    as_json: bool,
) -> None:
    """E-arkivpaket (E-ARK CSIP/SIP, FGS Paketstruktur 2.0) med ärendena i CITS ERMS.

    Exempel: casefile export archive --closed-before 2026-01-01 --output arkiv-2025.zip
    """
    from casefile.export.archive import export_archive, select_cases

    if not refs and closed_before is None:
        raise click.UsageError("ange REF… eller --closed-before DATE")
    _check_output(output)
    app = get_app(ctx)
    with read_only(app.engine) as conn:
        chosen = select_cases(conn, app.settings, refs, closed_before)
        configured = app.settings.export.content_information_type
        package = export_archive(conn, app.settings, chosen, output, content_type or configured)
    _done(
        as_json,
        {
            "output": str(output),
            "objid": package.objid,
            "cases": [c["number"] for c in chosen],
            "files": len(package.files),
        },
        f"{count(len(chosen), 'ärende', 'ärenden')} och "
        f"{count(len(package.files), 'fil', 'filer')} skrivna till {output}.",
    )
