"""`intake`'s root group (click): every command lives in intake/commands/ and is imported when
it is run. The console script's entry point is intake/cli.py, which starts a plain
`intake extract FILE` without click and hands everything else to this group."""

from __future__ import annotations

import click

from casefile.cli_support import LazyGroup, config_option


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Every command lives in intake/commands/ and is imported only when it is run.
    lazy={
        "poll": "intake.commands.mail:poll",
        "retry": "intake.commands.mail:retry",
        "extract": "intake.commands.extract:extract",
        "serve": "intake.commands.service:serve_command",
        "status": "intake.commands.service:status_command",
        "send": "intake.commands.send:send_command",
        "check": "intake.commands.check:check_command",
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
