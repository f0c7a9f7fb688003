"""`casefile web [--host H] [--port P]`: the registrar's pages and, when enabled, the public
diary (casefile/web/)."""

from __future__ import annotations

from typing import Any

import click

from casefile.cli_support import Failure, one_line_errors
from casefile.commands.common import app_of


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adress att lyssna på.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port att lyssna på.",
)
@click.option(
    "--public-only",
    is_flag=True,
    help="Bara det offentliga diariet (en server som allmänheten når).",
)
@click.pass_context
@one_line_errors
def web_command(ctx: click.Context, host: str, port: int, public_only: bool) -> None:
    """Diariet i webbläsaren, och det offentliga diariet (/diarium).

    Inloggning enligt [web] auth: "proxy" (ett huvud från en betrodd omvänd proxy),
    "local" (demoläget, bara från den här datorn) eller "oidc" (OpenID Connect).

    Exempel: casefile web --port 8080
    """
    from casefile.web.app import create_app

    app = app_of(ctx)
    web = app.settings.web
    if public_only:
        if not web.public_diary:
            raise Failure(
                _say(
                    "[web] public_diary = false: det finns inget offentligt diarium",
                    "[web] public_diary = false: there is no public diary",
                )
            )
        click.echo(
            _say(
                f"Det offentliga diariet: http://{host}:{port}/diarium (avsluta med Ctrl+C).",
                f"The public diary: http://{host}:{port}/diarium (stop with Ctrl+C).",
            )
        )
        serve(create_app(app, public_only=True), host, port)
        return
    if web.auth == "oidc" and not (
        web.oidc_issuer and web.oidc_client_id and web.oidc_redirect_url
    ):
        raise Failure(
            _say(
                '[web] auth = "oidc" behöver oidc_issuer, oidc_client_id och oidc_redirect_url',
                '[web] auth = "oidc" needs oidc_issuer, oidc_client_id and oidc_redirect_url',
            )
        )
    if web.auth == "local" and host not in ("127.0.0.1", "::1", "localhost"):
        raise Failure(
            _say(
                '[web] auth = "local" är bara för demon: lyssna på 127.0.0.1',
                '[web] auth = "local" is for the demo only: listen on 127.0.0.1',
            )
        )
    if not web.users:
        raise Failure(
            _say(
                "[web.users] är tom: ingen kan logga in", "[web.users] is empty: no one can log in"
            )
        )
    click.echo(
        _say(
            f"Öppna http://{host}:{port}/ i webbläsaren (avsluta med Ctrl+C).",
            f"Open http://{host}:{port}/ in a web browser (stop with Ctrl+C).",
        )
    )
    if web.public_diary:
        click.echo(
            _say(
                f"Det offentliga diariet: http://{host}:{port}/diarium",
                f"The public diary: http://{host}:{port}/diarium",
            )
        )
    from casefile.config import resolve_config_path

    config_path = str(resolve_config_path(ctx.find_root().meta.get("config_path")))
    serve(create_app(app, config_path=config_path), host, port)


def _say(swedish: str, english: str) -> str:
    from casefile.i18n import language

    return english if language() == "en" else swedish


def server_config(asgi: Any, host: str, port: int) -> Any:
    """uvicorn's configuration, taking the connecting address as it is: with X-Forwarded-For
    honoured, the address the trusted-proxy check sees would be the one the proxy was told
    (the user's), not the proxy's."""
    import uvicorn

    return uvicorn.Config(asgi, host=host, port=port, log_level="warning", proxy_headers=False)


def serve(asgi: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.Server(server_config(asgi, host, port)).run()
