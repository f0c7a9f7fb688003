"""`intake extract FILE [--json]`: print what one report yields; touches no database."""

from __future__ import annotations

import click

from casefile.cli_support import json_option
from intake.commands.extract_run import CONFIG_ENV, limits_for, run_extract, summary

__all__ = ["CONFIG_ENV", "extract", "limits_for", "run_extract", "summary"]


@click.command("extract")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def extract(file: str, as_json: bool) -> None:
    """Läs en rapport (DOCX eller PDF) och visa vad som hittades (rör ingen databas).

    Exempel: intake extract slutrapport.docx --json
    """
    code = run_extract(file, as_json, click.get_current_context().meta.get("config_path"))
    if code:
        raise SystemExit(code)
