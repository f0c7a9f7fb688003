"""`intake`: the mail side. Polling, extraction, sending, the background service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from casefile.cli_support import (
    ROW_ID,
    LazyGroup,
    config_option,
    get_app,
    json_option,
    one_line_errors,
    print_json,
    run_main,
    setup_logging,
)
from casefile.i18n import count
from casefile.states import MessageState, label_of

if TYPE_CHECKING:  # imported when needed: `intake extract` starts without the database layer
    from casefile.app import App


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "serve": "intake.service.commands:serve_command",
        "status": "intake.service.commands:status_command",
        "send": "intake.outgoing.commands:send_command",
        "check": "intake.check_command:check_command",
        "form": "intake.commands.form:form_group",
    },
    aliases={
        "hämta": "poll",
        "kontrollera": "check",
        "läs": "extract",
        "skicka": "send",
        "kör-igen": "retry",
    },
)
@config_option
@click.option(
    "--trace", is_flag=True, help="Logga IMAP-protokollet (med loggnivå DEBUG), för felsökning."
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, trace: bool) -> None:
    """intake – posten: hämtar rapporter, registrerar dem och skickar kvittenser."""
    ctx.meta["config_path"] = config_path
    ctx.meta["trace"] = trace


@cli.command()
@click.option("--once", is_flag=True, required=True, help="Ett varv, sedan avslut.")
@json_option
@click.pass_context
@one_line_errors
def poll(ctx: click.Context, once: bool, as_json: bool) -> None:
    """Läs alla brevlådor en gång: hämta, registrera, skicka det som ligger i utkorgen.

    Exempel: intake poll --once
    """
    from intake.mail.poll import poll_all
    from intake.service.lock import instance_lock

    app = get_app(ctx)
    setup_logging(app.settings.service.log_level)
    # Never beside a running service on the same mailboxes: exactly once needs one poller.
    with instance_lock(app, wait=app.settings.service.on_lock_busy == "wait"):
        results = poll_all(app)
        sent = _flush(app)
    failed = [r for r in results if not r.ok]
    summary = [
        {
            "mailbox": r.mailbox,
            "ok": r.ok,
            "error": r.error,
            "messages": [
                {"uid": o.uid, "state": o.state, "diarienummer": o.numbers, "reason": o.reason}
                for o in r.outcomes
            ],
        }
        for r in results
    ]
    if as_json:
        print_json({"mailboxes": summary, "outbox": sent})
    else:
        for r in results:
            if r.ok:
                registered = [
                    n for o in r.outcomes for n in o.numbers if o.state == MessageState.REGISTERED
                ]
                new = count(len(r.outcomes), "nytt meddelande", "nya meddelanden")
                done = count(len(registered), "registrerad", "registrerade")
                click.echo(f"{r.mailbox}: {new}, {done} {' '.join(registered)}".rstrip())
            else:
                click.echo(f"{r.mailbox}: FEL – {r.error}")
        if sent:
            ok = count(sent.get("sent", 0), "skickad", "skickade")
            bad = count(sent.get("failed", 0), "misslyckad", "misslyckade")
            click.echo(f"utkorg: {ok}, {bad}")
    if failed:
        raise SystemExit(1)


def _flush(app: App) -> dict[str, int]:
    """Send what the outbox holds. Called under the instance lock, so a row still marked
    "sending" was left by a process that died mid-send: it becomes "uncertain" for staff."""
    from intake.outgoing import flush_outbox, recover_interrupted

    with app.sessions() as session, session.begin():
        recover_interrupted(session)
    result = flush_outbox(app.sessions, app.settings)
    return {k: int(v) for k, v in vars(result).items()}


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def extract(file: str, as_json: bool) -> None:
    """Läs en rapport (DOCX eller PDF) och visa vad som hittades (rör ingen databas).

    Exempel: intake extract slutrapport.docx --json
    """
    from intake.extract.command import run_extract

    code = run_extract(file, as_json, click.get_current_context().meta.get("config_path"))
    if code:
        raise SystemExit(code)


@cli.command()
@click.argument("source_message_id", metavar="ID", type=ROW_ID)
@json_option
@click.pass_context
@one_line_errors
def retry(ctx: click.Context, source_message_id: int, as_json: bool) -> None:
    """Kör ett meddelande i karantän eller som misslyckades genom intaget igen (från arkivet).

    Exempel: intake retry 17
    """
    from intake.mail.retry import next_step, retry_message

    app = get_app(ctx)
    setup_logging(app.settings.service.log_level)
    outcome = retry_message(app, source_message_id)
    steps = next_step(source_message_id, outcome.state)
    if as_json:
        print_json(
            {
                "id": source_message_id,
                "state": outcome.state,
                "diarienummer": outcome.numbers,
                "reason": outcome.reason,
                "next_step": " ".join(steps) or None,
            }
        )
    else:
        state = label_of(MessageState, outcome.state)
        why = f": {outcome.reason}" if steps and outcome.reason else ""
        click.echo(f"post {source_message_id}: {state}{why} {' '.join(outcome.numbers)}".rstrip())
        for line in steps:
            click.echo(line)
    if outcome.state in (MessageState.FAILED, MessageState.QUARANTINED):
        raise SystemExit(1)


def main() -> None:
    run_main(cli, "intake")
