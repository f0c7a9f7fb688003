"""`casefile register FILE…`: documents that did not come through intake (paper post, a personal
mailbox, what the office sends out or draws up), through the same numbering, archive, extraction
and log as intake."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from casefile.cli_support import Failure, json_option, one_line_errors, print_json
from casefile.commands.common import DATE, REF, act, actor_of, app_of, by_option
from casefile.states import WRITTEN_KINDS, Direction, DocumentKind, parse_state

CHANNELS = ("post", "email", "hand", "other")
DIRECTIONS = ("in", "out", "internal")
# What the office writes, when --kind is not given.
DEFAULT_WRITTEN_KIND = {
    Direction.OUT: DocumentKind.BREV,
    Direction.INTERNAL: DocumentKind.TJANSTEANTECKNING,
}


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Anything else (a FIFO, a device
    such as /dev/zero, a folder) is refused before a byte is read, and so is a file whose size
    is over the limit: a sparse 2 GB file is never read whole."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang; it changes nothing for files.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise Failure(f"{path}: filen finns inte") from None
    except IsADirectoryError:
        raise Failure(f"{path}: är en mapp, ingen vanlig fil") from None
    except OSError as exc:
        raise Failure(f"{path}: kan inte läsas ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Failure(f"{path}: är en mapp, ingen vanlig fil")
        if not stat.S_ISREG(info.st_mode):
            raise Failure(f"{path}: är ingen vanlig fil (en enhet, en FIFO eller liknande)")
        if info.st_size > limit:
            raise Failure(f"{path}: för stor ({info.st_size} byte; högst {limit})")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while we read it
        raise Failure(f"{path}: för stor (över {limit} byte)")
    return data


def _written_kind(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> DocumentKind | None:
    if value is None:
        return None
    try:
        kind = parse_state(DocumentKind, value)
    except ValueError:
        kind = None
    if kind not in WRITTEN_KINDS:
        raise click.BadParameter(f"{value!r}: välj brev, beslut eller tjänsteanteckning")
    return kind


def _extracted(name: str, data: bytes, settings: Any) -> tuple[Any, str | None]:
    """The extraction of one file, or (None, why it could not be read)."""
    import dataclasses

    from intake.extract.api import extract_isolated
    from intake.extract.model import ExtractionError
    from intake.mail.attachments import extract_limits

    limits = extract_limits(settings.limits)
    # The configured form definitions and recognition threshold, as intake uses them.
    limits = dataclasses.replace(
        limits,
        forms=tuple(settings.extraction.forms),
        min_confidence=settings.extraction.min_confidence,
        trust_roots=tuple(settings.signatures.trust_roots),
        timezone=settings.registry.timezone,
        ocr=settings.extraction.ocr,
        ocr_languages=settings.extraction.ocr_languages,
        ocr_max_pages=settings.extraction.ocr_max_pages,
        convert=settings.extraction.convert,
    )
    try:
        return extract_isolated(data, name, limits), None
    except ExtractionError as exc:
        return None, str(exc)


def _media_type(name: str) -> str | None:
    import mimetypes

    return mimetypes.guess_type(name)[0]


def _address(sender: str) -> str | None:
    _name, addr = email.utils.parseaddr(sender)
    return addr if addr and "@" in addr and " " not in addr else None


@click.command("register")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--from", "sender", help="Avsändaren (namn eller e-postadress); inkommande.")
@click.option("--received", type=DATE, help="Ankomstdatum (ÅÅÅÅ-MM-DD, idag); inkommande.")
@click.option("--to", "recipient", help="Mottagaren; utgående och upprättade handlingar.")
@click.option("--date", "written", type=DATE, help="Datum; utgående och upprättade handlingar.")
@click.option(
    "--kind",
    callback=_written_kind,
    metavar="brev|beslut|tjänsteanteckning",
    help="Vad kansliet skrivit (utgående: brev, upprättad: tjänsteanteckning om inget anges).",
)
@click.option("--case", "case_ref", type=REF, help="Lägg i detta ärende (SFG 26-01).")
@click.option("--channel", type=click.Choice(CHANNELS), default="post", show_default=True)
@click.option("--direction", type=click.Choice(DIRECTIONS), default="in", show_default=True)
@click.option("--title", help="Vad handlingen gäller (annars insatsens namn ur blanketten).")
@click.option("--acknowledge", is_flag=True, help="Skicka kvittens till avsändarens adress.")
@by_option
@json_option
@click.pass_context
@one_line_errors
def register_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    sender: str | None,
    received: dt.date | None,
    recipient: str | None,
    written: dt.date | None,
    kind: DocumentKind | None,
    case_ref: str | None,
    channel: str,
    direction: str,
    title: str | None,
    acknowledge: bool,
    actor: str | None,
    as_json: bool,
) -> None:
    """Registrera handlingar som inte kom in via e-postintaget (en per fil).

    Inkommande: --from och --received. Det kansliet skriver (--direction out|internal):
    --to och --date; det läses aldrig som en rapport och ger aldrig något utskick.

    Exempel: casefile register brev.pdf --from "Ovanåkers kommun" --received 2026-02-03

    Exempel: casefile register beslut.pdf --direction out --kind beslut --to "Ovanåkers kommun"
    --date idag --case "SFG 26-03"
    """
    who = actor_of(actor)
    incoming = direction == Direction.IN
    if incoming:
        _demand(ctx, {"--from": sender, "--received": received}, "inkommande handlingar")
        _refuse(
            ctx,
            {"--to": recipient, "--date": written, "--kind": kind},
            "gäller bara det kansliet skriver (--direction out eller internal)",
        )
    else:
        _demand(ctx, {"--to": recipient, "--date": written}, "det kansliet skriver")
        _refuse(
            ctx,
            {"--from": sender, "--received": received},
            "gäller bara inkommande handlingar; ange --to och --date",
        )
        if acknowledge:
            raise click.UsageError(
                "--acknowledge gäller bara inkommande handlingar: det kansliet skriver ger inget "
                "utskick",
                ctx,
            )
    party = str(sender if incoming else recipient)
    day = received if incoming else written
    assert day is not None
    address = _address(party)
    if acknowledge and address is None:
        raise Failure(f"ingen e-postadress i --from {party!r}: kvittens kan inte skickas")
    limit = app_of(ctx).settings.limits.max_attachment_bytes
    read = [(path, read_regular_file(path, limit)) for path in files]

    def work(app: Any, session: Any) -> list[dict[str, Any]]:
        from casefile.register import find_case

        into = find_case(session, app.settings, case_ref) if case_ref else None
        return [
            register_one(
                app,
                session,
                path.name,
                data,
                Registration(
                    direction=direction,
                    channel=channel,
                    party=party,
                    day=day,
                    kind=kind,
                    title=title,
                    into=into,
                    who=who,
                    acknowledge=acknowledge,
                ),
            )
            for path, data in read
        ]

    result = act(ctx, work)
    if as_json:
        print_json(result)
        return
    for r in result:
        click.echo(f"{r['diarienummer']}  {r['file']}  ({r['title']}) registrerad av {who}.")
        if r["queued_mail"]:
            click.echo(f"  köat: {', '.join(r['queued_mail'])} till {address}")


@dataclass(frozen=True)
class Registration:
    """How a file is registered: what `casefile register`'s options say (and the web's form)."""

    direction: str
    channel: str
    party: str
    day: dt.date
    kind: DocumentKind | None
    title: str | None
    into: Any
    who: str
    acknowledge: bool = False

    @property
    def incoming(self) -> bool:
        return self.direction == Direction.IN

    @property
    def address(self) -> str | None:
        return _address(self.party)


def register_one(
    app: Any, session: Any, name: str, data: bytes, how: Registration
) -> dict[str, Any]:
    """Register one file in `session` (the caller's transaction): extraction when it comes in,
    the archive, the next number, the log; an acknowledgement queued when asked."""
    from casefile.db.models import StoredFile
    from casefile.register import NewDocument, record_manual, register_document

    incoming, day, title, who = how.incoming, how.day, how.title, how.who
    party, address, kind, into = how.party, how.address, how.kind, how.into
    direction, channel, acknowledge = how.direction, how.channel, how.acknowledge
    if into is not None and into.status == "closed":
        raise Failure(
            f'{into.number} är avslutat; öppna det först med casefile reopen "{into.number}"'
        )
    zone = app.settings.registry.zone
    now = dt.datetime.now(zone)
    at = now if day == now.date() else dt.datetime.combine(day, dt.time(12), zone)
    if incoming:
        extraction, error = _extracted(name, data, app.settings)
        if extraction is None and not title:
            raise Failure(f"{error} Ange --title för att registrera den ändå.")
    else:
        # What the office writes is never read as a report: no fields, no findings, so
        # no slutrapport, no completion request, no change to the case's due state.
        extraction, error = None, None
    from intake.extract.signatures import stored

    fields = {**extraction.fields, **stored(extraction)} if extraction else {}
    digest = app.archive.put(data)
    if session.get(StoredFile, digest) is None:
        session.add(StoredFile(sha256=digest, size=len(data), media_type=_media_type(name)))
    findings = [f.to_json() for f in extraction.findings] if extraction else []
    if error:
        findings.append({"code": "unreadable_file", "message": error})
    if incoming:
        doc_kind = extraction.document_type if extraction else DocumentKind.UNKNOWN
    else:
        doc_kind = kind or DEFAULT_WRITTEN_KIND[Direction(direction)]
    new = NewDocument(
        kind=str(doc_kind),
        received_at=at.astimezone(dt.UTC),
        sender=address or party,
        subject=title,
        title=title or str(fields.get("title") or name),
        organisation=str(fields.get("organisation") or ""),
        fields=fields,
        sections=dict(extraction.sections) if extraction else {},
        findings=findings,
        submitter_signed=bool(extraction and extraction.submitter_signed),
        form_reference=fields.get("reference"),
        contact_name=fields.get("contact_name"),
        contact_email=fields.get("contact_email"),
    )
    doc = register_document(session, app.settings, new, who, into=into)
    record_manual(session, doc, who, channel, direction, name, digest, len(data))
    if extraction is not None:
        from casefile.signature_report import keep_report

        keep_report(session, app.archive, doc, extraction.signature_report, who, name)
    queued = None
    if acknowledge:
        from intake.outgoing.outbox import ReplyContext, queue_for_document

        reply = ReplyContext(recipient=address, message_id=None, references=None, automatic=False)
        rows = queue_for_document(session, app.settings, doc, reply)
        queued = [r.kind for r in rows if r.state == "queued"]
    return {
        "diarienummer": doc.diarienummer,
        "case": doc.case.number,
        "received_date": doc.received_date.isoformat(),
        "file": name,
        "kind": doc.kind,
        "title": doc.title,
        "status": doc.status,
        "registered_by": who,
        "queued_mail": queued,
    }


def _demand(ctx: click.Context, options: dict[str, Any], what: str) -> None:
    missing = [name for name, value in options.items() if value is None]
    if missing:
        raise click.UsageError(f"{' och '.join(missing)} behövs för {what}", ctx)


def _refuse(ctx: click.Context, options: dict[str, Any], why: str) -> None:
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise click.UsageError(f"{' och '.join(given)} {why}", ctx)
