"""The service's commands, attached by intake/cli.py: `intake serve` and `intake status`."""

from __future__ import annotations

import logging
import os
import sys

import click
from sqlalchemy.exc import OperationalError

from casefile.cli_support import (
    Failure,
    get_app,
    json_option,
    one_line_errors,
    print_json,
    setup_logging,
)


def _first_line(exc: OperationalError) -> str:
    return str(exc.orig or exc).strip().splitlines()[0][:300]


def _setup_logging(level: str) -> None:
    setup_logging(level)
    if level == "WARNING":
        # The service's own few lines (start with its mailboxes and intervals, one per poll
        # that found mail, the outbox's, stop) show at WARNING too, so a quiet service (the
        # demo's level) still says what it does; per-message lines need INFO.
        logging.getLogger("intake.service.summary").setLevel(logging.INFO)
    if level != "DEBUG":
        # APScheduler logs two INFO lines per job run and English warnings for skipped runs;
        # the service logs what happened itself, in Swedish (runner.py). Errors still show.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)


@click.command("serve")
@click.option(
    "--cycles",
    type=click.IntRange(1, 1_000_000),
    metavar="N",
    help="Stanna när varje brevlåda har hämtats N gånger (för demo och test).",
)
@click.option(
    "--for",
    "duration",
    # At most 115 days: a larger number overflowed the stop timer's clock (a thread traceback).
    type=click.FloatRange(min=0, min_open=True, max=10_000_000),
    metavar="SECONDS",
    help="Stanna efter så många sekunder (för demo och test).",
)
@click.pass_context
@one_line_errors
def serve_command(ctx: click.Context, cycles: int | None, duration: float | None) -> None:
    """Kör bakgrundstjänsten: hämtning, utkorg, påminnelser och sammanställning tills
    SIGTERM/SIGINT.

    Bara en intake-process arbetar mot en databas åt gången; en andra väntar eller avslutar
    (service.on_lock_busy). Exempel: intake serve
    """
    from intake.service.lock import LockBusy, instance_lock
    from intake.service.runner import Service, StopTimeout, run_reconnecting

    app = get_app(ctx)
    settings = app.settings.service
    _setup_logging(settings.log_level)
    service = Service(app, cycles=cycles, duration=duration)
    # Before the lock: a SIGTERM to a service that waits for the lock ends the wait.
    service.install_signal_handlers()
    service.start_timer()
    code = 0
    try:
        code = run_reconnecting(
            service,
            lambda: instance_lock(
                app, settings.on_lock_busy == "wait", should_stop=service.stop_requested.is_set
            ),
        )
    except LockBusy as exc:
        if not service.stop_requested.is_set():
            raise Failure(str(exc)) from None
    except OperationalError as exc:
        # Database unreachable at start: one line, exit 1, and systemd tries again later.
        raise Failure(f"kan inte nå databasen: {_first_line(exc)}") from None
    except StopTimeout:
        # A job is stuck (e.g. a network call without answer); what it had not committed is
        # done again at the next start. Skip the interpreter's wait for its thread.
        logging.shutdown()
        sys.stderr.flush()
        os._exit(1)
    finally:
        app.engine.dispose()
    if code:
        raise SystemExit(code)


@click.command("status")
@json_option
@click.pass_context
@one_line_errors
def status_command(ctx: click.Context, as_json: bool) -> None:
    """Visa hur intaget mår; slutstatus 1 när en brevlåda inte hämtats på för länge.

    Exempel: intake status --json
    """
    from intake.service.status import render_text, status_report

    app = get_app(ctx)
    try:
        report = status_report(app)
    finally:
        app.engine.dispose()
    if as_json:
        print_json(report)
    else:
        click.echo(render_text(report, app.settings))
    if not report["healthy"]:
        raise SystemExit(1)
