"""Reading and dismissing stored incoming mail: `casefile mail ID`, `casefile dismiss ID`."""

from __future__ import annotations

import datetime as dt
from email.message import Message
from pathlib import Path
from typing import Any

import click

from casefile.cli_support import Failure, json_option, one_line_errors, print_json, safe_text
from casefile.commands.common import ROW_ID, act, actor_of, app_of, by_option
from casefile.commands.table import terminal_width, wrap_line
from casefile.db.engine import read_only


def _safe_body(text: str) -> str:
    """A message's text for a terminal: its lines kept, escapes and bidi overrides gone."""
    return "\n".join(safe_text(line) for line in text.splitlines())


def safe_filename(name: str | None, index: int) -> str:
    """A file name that stays inside the folder it is saved in and is harmless to open (the
    rule the e-archive package uses too: casefile.filenames)."""
    from casefile.filenames import safe_filename as shared

    return shared(name, f"bilaga-{index}")


def _unique(folder: Path, name: str) -> Path:
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = folder / f"{stem} ({n}){suffix}"
        n += 1
    return path


# The headers `casefile mail` shows, with their Swedish labels.
SHOWN_HEADERS = {"From": "Från", "To": "Till", "Cc": "Kopia", "Date": "Datum", "Subject": "Ämne"}


def header_text(msg: Message, name: str, limit: int) -> str | None:
    """A header as a person reads it. One the standard parser cannot take (a group with a
    comment, `To: unlisted-recipients:; (no To-header on input)`, raised AttributeError; deep
    parentheses raise RecursionError) is shown as written, as intake's own reader does."""
    from intake.mail.mime import clean

    try:
        value = msg.get(name)
        text = None if value is None else str(value)
    except Exception:
        text = next((str(v) for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if text is None:
        return None
    return safe_text(clean(text, limit) or "")


def _parts(
    raw: bytes, max_header_bytes: int
) -> tuple[dict[str, str], str, list[tuple[str | None, str, bytes]], list[str]]:
    """Headers, text, attachments and notes of a stored message, read as the poll reads it: a
    header block over the poll's limit is not parsed at all (a 400 KB one took 54 s and 4 GB),
    a message of too many parts only to its headers."""
    from intake.mail.mime import body_text, header_block_size, message_tree, parse_message

    size = header_block_size(raw)
    if size > max_header_bytes:
        note = (
            f"brevets huvud är för stort ({size} byte, gräns {max_header_bytes}) och lästes "
            "inte; originalet finns kvar i arkivet"
        )
        return {}, "", [], [note]
    msg, notes = message_tree(raw)
    headers = {
        key: text
        for key in SHOWN_HEADERS
        if (text := header_text(msg, key, max_header_bytes)) is not None
    }
    try:
        body = body_text(msg)
    except RecursionError:
        body, notes = "", [*notes, "brevet är nästlat i för många MIME-nivåer; texten lästes inte"]
    # The same attachments intake saw (forwarded messages opened), in the same order.
    parsed = parse_message(raw, max_header_bytes)
    files = [(f.filename, f.content_type, f.data) for f in parsed.attachments]
    return headers, _safe_body(body), files, list(dict.fromkeys([*notes, *parsed.notes]))


@click.command()
@click.argument("source_message_id", metavar="ID", type=ROW_ID)
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Spara bilagorna i denna mapp (säkra filnamn, skriver aldrig över).",
)
@json_option
@click.pass_context
@one_line_errors
def mail(ctx: click.Context, source_message_id: int, save_dir: Path | None, as_json: bool) -> None:
    """Läs ett inkommet brev: avsändare, ämne, text och bilagor.

    ID är numret i casefile inbox.

    Exempel: casefile mail 12 --save ~/Hämtade
    """
    from casefile.queries import message_json, message_row

    app = app_of(ctx)
    with read_only(app.engine) as conn:
        row = message_row(conn, source_message_id)
        info = message_json(row, [])
    try:
        raw = app.archive.get(row["raw_sha256"])
    except OSError as exc:
        raise Failure(f"brevet finns inte i arkivet ({exc.strerror})") from None
    headers, text, files, notes = _parts(raw, app.settings.limits.max_header_bytes)
    arrived = row["internal_date"].astimezone(app.settings.registry.zone)
    saved: list[str | None] = [None] * len(files)
    if save_dir is not None:
        try:
            save_dir.mkdir(parents=True, exist_ok=True)
            for i, (name, _kind, data) in enumerate(files, start=1):
                path = _unique(save_dir, safe_filename(name, i))
                with path.open("xb") as out:
                    out.write(data)
                saved[i - 1] = str(path)
        except OSError as exc:
            raise Failure(f"kunde inte spara i {save_dir}: {exc.strerror}") from None
    attachments = [
        {
            "filename": safe_text(name or ""),
            "media_type": kind,
            "size": len(data),
            "saved_as": saved[i],
        }
        for i, (name, kind, data) in enumerate(files)
    ]
    if as_json:
        print_json(
            {
                "id": source_message_id,
                "arrived": arrived.isoformat(),
                "state": info["state"],
                "headers": headers,
                "text": text,
                "attachments": attachments,
                "dismissed": info["dismiss_reason"],
                "notes": notes,
            }
        )
        return
    for key, value in headers.items():
        click.echo(f"{SHOWN_HEADERS[key]}: {value}")
    click.echo(f"Ankomstdatum: {arrived.date().isoformat()} ({arrived:%H:%M})")
    if info["dismiss_reason"]:
        click.echo(f"Avförd: {info['dismiss_reason']} ({info['dismissed_by']})")
    for note in notes:
        click.echo(f"Obs: {note}")
    click.echo("")
    click.echo(text.rstrip() or "(ingen text)")
    click.echo("")
    click.echo(f"Bilagor: {len(attachments)}")
    for a in attachments:
        # The name on its line; type, size and where it was saved under it when it is long.
        name = str(a["filename"] or "(utan namn)")
        about = f"{a['media_type']}, {a['size']} byte"
        width = terminal_width()
        if width is None or len(name) + len(about) + 4 <= width:
            click.echo(f"  {name}  {about}")
        else:
            for line in wrap_line(f"  {name}"):
                click.echo(line)
            click.echo(f"    {about}")
        if a["saved_as"]:
            for line in wrap_line(f"    → {a['saved_as']}", 6):
                click.echo(line)


@click.command()
@click.argument("source_message_id", metavar="ID", type=ROW_ID)
@click.option("--reason", required=True, help="Varför brevet inte ska registreras.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def dismiss(
    ctx: click.Context, source_message_id: int, reason: str, actor: str | None, as_json: bool
) -> None:
    """Avför ett brev som inte behöver registreras: det lämnar inkorgen och sammanställningen.

    Exempel: casefile dismiss 12 --reason "Nyhetsbrev, ringa betydelse"
    """
    from casefile.register import dismiss_message

    who = actor_of(actor)

    def work(app: Any, s: Any) -> dt.datetime:
        return dismiss_message(s, source_message_id, reason, who).dismissed_at  # type: ignore[no-any-return]

    when = act(ctx, work)
    if as_json:
        print_json(
            {"id": source_message_id, "dismissed_at": when.isoformat(), "by": who, "reason": reason}
        )
    else:
        click.echo(f"Post {source_message_id} är avförd.")
