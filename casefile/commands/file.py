"""`casefile file REF [--save DIR]`: the stored files of a registered document, whatever its way
in (the raw mail and its attachments, or the file registered by hand), listed or saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from casefile.cli_support import Failure, json_option, one_line_errors, print_json, safe_text
from casefile.commands.common import REF, app_of
from casefile.db.engine import read_only
from casefile.files import DocumentFile
from casefile.i18n import language
from casefile.states import Channel, Direction, label_of

PREFIX = 12  # characters of the SHA-256 shown: enough to tell files apart, short for a table


def way_in(doc: Any, f: DocumentFile) -> str:
    """How the file came, in words: by mail (the message, an attachment), or as registered by
    hand (its channel; what the office wrote: outgoing or internal)."""
    english = language() == "en"
    if f.part == "message":
        return "e-mail (message)" if english else "e-post (brevet)"
    if f.part == "attachment":
        return "e-mail (attachment)" if english else "e-post (bilaga)"
    if f.part == "validation_report":
        return "signature validation report" if english else "valideringsrapport (underskrift)"
    if doc["direction"] != Direction.IN:
        return label_of(Direction, doc["direction"])
    return label_of(Channel, doc["channel"])


def _documents(conn: Any, settings: Any, ref: str) -> list[Any]:
    """The document REF names, or every document of the case REF names."""
    from sqlalchemy import select

    from casefile.db.schema import documents
    from casefile.numbering import parse_reference
    from casefile.queries import case_row
    from casefile.register import _canonical

    parts = parse_reference(settings.registry, ref)
    stmt = select(documents)
    if parts is not None and parts.doc is not None:
        stmt = stmt.where(documents.c.diarienummer == _canonical(settings, ref))
    else:
        stmt = stmt.where(documents.c.case_id == case_row(conn, settings, ref)["id"])
    found = list(conn.execute(stmt.order_by(documents.c.serial)).mappings())
    if not found:
        raise Failure(f"det finns ingen handling {ref}")
    return found


def _save(app: Any, files: list[DocumentFile], folder: Path) -> list[str]:
    """Each file from the archive (checked against its digest) into `folder`, with a safe name,
    never overwriting: as `casefile mail --save` does."""
    from casefile.blobstore import ArchiveError
    from casefile.commands.mailbox import _unique, safe_filename

    saved = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(files, start=1):
            try:
                data = app.archive.get(f.sha256)
            except ArchiveError:
                raise Failure(f"arkivfilen {f.sha256} är skadad; inget mer sparades") from None
            except OSError as exc:
                raise Failure(f"arkivfilen {f.sha256} kan inte läsas ({exc.strerror})") from None
            path = _unique(folder, safe_filename(f.name, i))
            with path.open("xb") as out:
                out.write(data)
            saved.append(str(path))
    except OSError as exc:
        raise Failure(f"kunde inte spara i {folder}: {exc.strerror}") from None
    return saved


@click.command("file")
@click.argument("ref", type=REF)
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Spara filerna i denna mapp (säkra filnamn, skriver aldrig över).",
)
@json_option
@click.pass_context
@one_line_errors
def file_command(ctx: click.Context, ref: str, save_dir: Path | None, as_json: bool) -> None:
    """De lagrade filerna för en registrerad handling, hur den än kom in.

    REF: handling (SFG 26-01.02) eller ärende (alla dess handlingar).

    Exempel: casefile file "SFG 26-01.02" --save ~/Hämtade
    """
    from casefile.commands.table import Column, table
    from casefile.files import document_files

    app = app_of(ctx)
    with read_only(app.engine) as conn:
        docs = _documents(conn, app.settings, ref)
        files_of = document_files(conn, docs)
    listed = [(doc, f) for doc in docs for f in files_of[doc["id"]]]
    saved: list[str | None] = [None] * len(listed)
    if save_dir is not None and listed:
        saved = list(_save(app, [f for _, f in listed], save_dir))
    rows = [
        {
            "diarienummer": doc["diarienummer"],
            "name": safe_text(f.name or ""),
            "size": f.size,
            "sha256": f.sha256,
            "media_type": f.media_type,
            "part": f.part,
            "way_in": way_in(doc, f),
            "saved_as": saved[i],
        }
        for i, (doc, f) in enumerate(listed)
    ]
    if as_json:
        print_json(rows)
        return
    english = language() == "en"
    if not rows:
        click.echo("No stored files." if english else "Inga lagrade filer.")
        return
    columns = [
        Column("Handling" if not english else "Document"),
        Column("Fil" if not english else "File", flex=True),
        Column("Storlek" if not english else "Size"),
        Column("SHA-256"),
        Column("Väg in" if not english else "Way in", flex=True),
    ]
    click.echo(
        table(
            columns,
            [
                [
                    r["diarienummer"],
                    r["name"] or ("(no name)" if english else "(utan namn)"),
                    f"{r['size']} byte",
                    r["sha256"][:PREFIX],
                    r["way_in"],
                ]
                for r in rows
            ],
        )
    )
    for r in rows:
        if r["saved_as"]:
            click.echo(f"{'saved' if english else 'sparad'}: {r['saved_as']}")
