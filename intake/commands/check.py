"""`intake check [--json]`, attached by intake/cli.py."""

from __future__ import annotations

import click

from casefile.app import App
from casefile.cli_support import print_json
from casefile.config import ConfigError, load_settings, resolve_config_path


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Skriv ut ett JSON-dokument.")
@click.option("--strict", is_flag=True, help="Slutstatus 1 även vid varningar (⚠).")
@click.pass_context
def check_command(ctx: click.Context, as_json: bool, strict: bool) -> None:
    """Pröva allt tjänsten behöver utan att ändra något: konfiguration, databas, lagring,
    brevlådor (token, inloggning, mappar), SMTP (anslutning, TLS, inloggning; inget brev
    skickas) och mallar. En rad per kontroll: ✓ fungerar, ⚠ varning (slutstatus 0, 1 med
    --strict), ✗ fel (slutstatus 1).

    Exempel: intake check
    """
    from intake.check import as_json as to_json
    from intake.check import failed, run_checks
    from intake.check_result import Check

    path = resolve_config_path(ctx.find_root().meta.get("config_path"))
    try:
        app = App(load_settings(path))
        app.engine  # noqa: B018 - a URL that no installed driver opens is a configuration error
    except ConfigError as exc:
        checks = [Check("konfiguration", False, str(exc))]
    else:
        try:
            checks = run_checks(app, str(path))
        finally:
            app.engine.dispose()
    if as_json:
        print_json(to_json(checks))
    else:
        for check in checks:
            click.echo(check.line())
    if failed(checks, strict):
        raise SystemExit(1)
