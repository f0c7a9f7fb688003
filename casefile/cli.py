"""`casefile`: the staff's command line over the register. The root group only: every command
lives in casefile/commands/ (a thin layer over casefile.register and casefile.queries) and is
imported when it is run; every data command takes --json."""

from __future__ import annotations

import click

from casefile.cli_support import LazyGroup, config_option, run_main


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Every command lives in casefile/commands/ and is imported only when it is run.
    lazy={
        "init": "casefile.commands.init:init",
        "list": "casefile.commands.views:list_",
        "show": "casefile.commands.views:show",
        "inbox": "casefile.commands.views:inbox",
        "sign": "casefile.commands.acts:sign",
        "cancel": "casefile.commands.acts:cancel",
        "note": "casefile.commands.acts:note",
        "due": "casefile.commands.acts:due",
        "remind": "casefile.commands.outgoing:remind_command",
        "outbox": "casefile.commands.outgoing:outbox_command",
        "requeue": "casefile.commands.outgoing:requeue_command",
        "register": "casefile.commands.register:register_command",
        "close": "casefile.commands.cases:close",
        "reopen": "casefile.commands.cases:reopen",
        "correct": "casefile.commands.cases:correct",
        "unsign": "casefile.commands.cases:unsign",
        "secrecy": "casefile.commands.cases:secrecy",
        "mail": "casefile.commands.mailbox:mail",
        "dismiss": "casefile.commands.mailbox:dismiss",
        "search": "casefile.commands.search:search",
        "overdue": "casefile.commands.overdue:overdue",
        "export": "casefile.commands.export:export_group",
        "contact": "casefile.commands.contact:contact_command",
        "move": "casefile.commands.move:move_command",
        "file": "casefile.commands.file:file_command",
        "copy": "casefile.commands.copy:copy_command",
        "web": "casefile.commands.web:web_command",
    },
    # Swedish names beside the English ones; help lists them after the command.
    aliases={
        "avför": "dismiss",
        "avsignera": "unsign",
        "avsluta": "close",
        "anteckna": "note",
        "bevaka": "due",
        "brev": "mail",
        "exportera": "export",
        "flytta": "move",
        "försenade": "overdue",
        "inkorg": "inbox",
        "kontakt": "contact",
        "lista": "list",
        "makulera": "cancel",
        "påminn": "remind",
        "registrera": "register",
        "rätta": "correct",
        "sekretess": "secrecy",
        "signera": "sign",
        "skicka-igen": "requeue",
        "sök": "search",
        "utkorg": "outbox",
        "visa": "show",
        "återöppna": "reopen",
    },
)
@config_option
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """casefile – diariet: ärenden och handlingar."""
    ctx.meta["config_path"] = config_path


def main() -> None:
    run_main(cli, "casefile")
