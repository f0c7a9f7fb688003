"""`casefile register FILE…`: documents that did not come through intake (paper post, a personal
mailbox, what the office sends out or draws up), through the same numbering, archive, extraction
and log as intake."""

from __future__ import annotations

import datetime as dt
import email.utils
from pathlib import Path
from typing import Any

import click

from casefile.cli_support import Failure, json_option, one_line_errors, print_json
from casefile.commands.common import DATE, REF, act, actor_of, by_option

CHANNELS = ("post", "email", "hand", "other")
DIRECTIONS = ("in", "out", "internal")


def _extracted(path: Path, data: bytes, settings: Any) -> tuple[Any, str | None]:
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
    )
    try:
        return extract_isolated(data, path.name, limits), None
    except ExtractionError as exc:
        return None, str(exc)


def _address(sender: str) -> str | None:
    _name, addr = email.utils.parseaddr(sender)
    return addr if addr and "@" in addr and " " not in addr else None


@click.command("register")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--from", "sender", required=True, help="Avsändaren (namn eller e-postadress).")
@click.option("--received", type=DATE, required=True, help="Ankomstdatum (ÅÅÅÅ-MM-DD, idag).")
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
    sender: str,
    received: dt.date,
    case_ref: str | None,
    channel: str,
    direction: str,
    title: str | None,
    acknowledge: bool,
    actor: str | None,
    as_json: bool,
) -> None:
    """Registrera handlingar som inte kom in via e-postintaget (en per fil).

    Exempel: casefile register brev.pdf --from "Ovanåkers kommun" --received 2026-02-03
    """
    who = actor_of(actor)
    address = _address(sender)
    if acknowledge and address is None:
        raise Failure(f"ingen e-postadress i --from {sender!r}: kvittens kan inte skickas")
    read = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Failure(f"{path}: {exc.strerror}") from None
        read.append((path, data))

    def work(app: Any, session: Any) -> list[dict[str, Any]]:
        from casefile.db.models import StoredFile
        from casefile.register import (
            NewDocument,
            find_case,
            record_manual,
            register_document,
        )

        into = find_case(session, app.settings, case_ref) if case_ref else None
        if into is not None and into.status == "closed":
            raise Failure(
                f'{into.number} är avslutat; öppna det först med casefile reopen "{into.number}"'
            )
        zone = app.settings.registry.zone
        now = dt.datetime.now(zone)
        at = now if received == now.date() else dt.datetime.combine(received, dt.time(12), zone)
        out = []
        for path, data in read:
            extraction, error = _extracted(path, data, app.settings)
            if extraction is None and not title:
                raise Failure(f"{error} Ange --title för att registrera den ändå.")
            fields = dict(extraction.fields) if extraction else {}
            digest = app.archive.put(data)
            if session.get(StoredFile, digest) is None:
                session.add(StoredFile(sha256=digest, size=len(data), media_type=None))
            findings = [f.to_json() for f in extraction.findings] if extraction else []
            if error:
                findings.append({"code": "unreadable_file", "message": error})
            new = NewDocument(
                kind=extraction.document_type if extraction else "unknown",
                received_at=at.astimezone(dt.UTC),
                sender=address or sender,
                subject=title,
                title=title or str(fields.get("title") or path.name),
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
            record_manual(session, doc, who, channel, direction, path.name, digest, len(data))
            queued = None
            if acknowledge:
                from intake.outgoing.outbox import ReplyContext, queue_for_document

                reply = ReplyContext(
                    recipient=address, message_id=None, references=None, automatic=False
                )
                rows = queue_for_document(session, app.settings, doc, reply)
                queued = [r.kind for r in rows if r.state == "queued"]
            out.append(
                {
                    "diarienummer": doc.diarienummer,
                    "case": doc.case.number,
                    "received_date": doc.received_date.isoformat(),
                    "file": path.name,
                    "kind": doc.kind,
                    "title": doc.title,
                    "status": doc.status,
                    "registered_by": who,
                    "queued_mail": queued,
                }
            )
        return out

    result = act(ctx, work)
    if as_json:
        print_json(result)
        return
    for r in result:
        click.echo(f"{r['diarienummer']}  {r['file']}  ({r['title']}) registrerad av {who}.")
        if r["queued_mail"]:
            click.echo(f"  köat: {', '.join(r['queued_mail'])} till {address}")
