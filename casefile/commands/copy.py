"""`casefile copy REF [--output FILE]`: a registration copy of a document, with its diarienummer,
arrival date and the officer's signature (casefile/registration_copy.py), written to a new file.
The registered original in the archive is only read, never written to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from casefile.cli_support import Failure, json_option, one_line_errors, print_json
from casefile.commands.common import REF, app_of
from casefile.db.engine import read_only
from casefile.i18n import language

SUFFIX = "registreringskopia"


def _say(swedish: str, english: str) -> str:
    return english if language() == "en" else swedish


def _document(conn: Any, settings: Any, ref: str) -> Any:
    from sqlalchemy import select

    from casefile.db.schema import documents
    from casefile.numbering import parse_reference
    from casefile.register import _canonical

    parts = parse_reference(settings.registry, ref)
    if parts is None or parts.doc is None:
        raise Failure(
            _say(
                f"{ref} är inget handlingsnummer (t.ex. SFG 26-01.01)",
                f"{ref} is not a document number (e.g. SFG 26-01.01)",
            )
        )
    row = (
        conn.execute(select(documents).where(documents.c.diarienummer == _canonical(settings, ref)))
        .mappings()
        .first()
    )
    if row is None:
        raise Failure(_say(f"det finns ingen handling {ref}", f"there is no document {ref}"))
    return row


def _registered_file(conn: Any, doc: Any) -> Any:
    """The document's own file: the report attachment or the file registered by hand (never the
    raw mail); a PDF or DOCX first when there are several."""
    from casefile.files import document_files
    from casefile.registration_copy import kind_of

    files = [
        f
        for f in document_files(conn, [doc])[doc["id"]]
        if f.part not in ("message", "validation_report")
    ]
    if not files:
        raise Failure(
            _say(
                f"{doc['diarienummer']} har ingen lagrad fil att kopiera",
                f"{doc['diarienummer']} has no stored file to copy",
            )
        )
    return next((f for f in files if kind_of(f.name, f.media_type)), files[0])


def _local_date(when: dt.datetime | None, zone: Any) -> str:
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(zone).date().isoformat()


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """`data` in a new file in `folder`: `name`, or `name-2.ext`, … when taken; never overwrites."""
    from casefile.filenames import unique_name

    taken: set[str] = set()
    while True:
        path = folder / unique_name(name, taken)
        try:
            with path.open("xb") as out:
                out.write(data)
        except FileExistsError:
            continue
        return path


@dataclass(frozen=True)
class Copy:
    """A registration copy made in memory, and what it was made from."""

    number: str
    signed: str | None
    kind: str
    data: bytes
    stored: Any
    reg: Any
    e_signed: bool
    in_box: bool
    signed_at: str  # the signing day in the registry's zone, "" when unsigned


def make_copy(app: Any, ref: str) -> Copy:
    """The registration copy of document REF (for `casefile copy` and the web pages)."""
    from casefile.blobstore import ArchiveError
    from casefile.registration_copy import (
        PDF,
        CopyError,
        Registration,
        fill_docx,
        is_e_signed,
        kind_of,
        stamp_pdf,
    )

    zone = app.settings.registry.zone
    with read_only(app.engine) as conn:
        doc = _document(conn, app.settings, ref)
        stored = _registered_file(conn, doc)
    kind = kind_of(stored.name, stored.media_type)
    if kind is None:
        raise Failure(
            _say(
                f"en registreringskopia kan bara göras av PDF och DOCX ({stored.name or '?'})",
                f"a registration copy can only be made of PDF and DOCX ({stored.name or '?'})",
            )
        )
    try:
        original = app.archive.get(stored.sha256)
    except ArchiveError:
        raise Failure(
            _say(
                f"arkivfilen {stored.sha256} är skadad",
                f"the archive file {stored.sha256} is damaged",
            )
        ) from None
    number = doc["diarienummer"]
    signed = doc["signature"]
    reg = Registration(
        reference=number,
        received=_local_date(doc["received_at"], zone),
        signature=f"{signed} {_local_date(doc['signed_at'], zone)}".strip()
        if signed
        else "ej signerad",
    )
    e_signed = False
    in_box = False
    try:
        if kind == PDF:
            e_signed = is_e_signed(original)
            data = stamp_pdf(original, reg)
        else:
            data, in_box = fill_docx(original, reg)
    except CopyError as exc:
        raise Failure(
            _say(
                f"{stored.name or kind} kan inte läsas: {exc}",
                f"{stored.name or kind} cannot be read: {exc}",
            )
        ) from None
    signed_at = _local_date(doc["signed_at"], zone)
    return Copy(number, signed, kind, data, stored, reg, e_signed, in_box, signed_at)


@click.command("copy")
@click.argument("ref", type=REF)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Skriv kopian till denna fil (skriver aldrig över en befintlig fil).",
)
@json_option
@click.pass_context
@one_line_errors
def copy_command(ctx: click.Context, ref: str, output: Path | None, as_json: bool) -> None:
    """En registreringskopia av en handling: diarienummer, ankomstdatum och handläggarens
    signatur i blankettens registreringsruta (eller överst). Originalet ändras aldrig.

    REF: handling (SFG 26-01.01). PDF och DOCX.

    Exempel: casefile copy "SFG 26-01.01" --output kopia.pdf
    """
    from casefile.filenames import safe_filename

    made = make_copy(app_of(ctx), ref)
    number, signed, data, kind = made.number, made.signed, made.data, made.kind
    stored, reg, e_signed, in_box = made.stored, made.reg, made.e_signed, made.in_box
    if output is not None:
        try:
            with output.open("xb") as out:
                out.write(data)
        except FileExistsError:
            raise Failure(
                _say(
                    f"{output} finns redan; skriver inte över", f"{output} exists; not overwritten"
                )
            ) from None
        path = output
    else:
        path = _write_new(
            Path.cwd(), safe_filename(f"{number}-{SUFFIX}.{kind}", f"{SUFFIX}.{kind}"), data
        )
    if as_json:
        print_json(
            {
                "diarienummer": number,
                "source_sha256": stored.sha256,
                "copy": str(path),
                "received": reg.received,
                "signature": signed,
                "signed_at": made.signed_at or None,
                "in_registration_box": in_box,
                "original_e_signed": e_signed,
            }
        )
        return
    line = _say(f"registreringskopia: {path}", f"registration copy: {path}")
    if e_signed:
        line += _say(
            " (kopian bär inte originalets e-underskrift)",
            " (the copy does not carry the original's e-signature)",
        )
    click.echo(line)
