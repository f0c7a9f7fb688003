"""The plumbing every page shares: templates, the nonce and CSRF token, security headers,
the staff decorator (login, role, CSRF on every POST), and the small parsers of form values."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from click import ClickException
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from casefile.app import App
from casefile.web.auth import NONCE_COOKIE, AuthProblem, Keys, User, identify
from casefile.web.text import lang, w

PAGE_SIZE = 50
DIARY_PAGE = 100
STATIC = Path(__file__).parent / "static"


class FormProblem(Exception):
    """A form that cannot be carried out: (field id or None, message) pairs."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("casefile.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["w"] = w
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


def one_line(exc: Exception) -> str:
    if isinstance(exc, ClickException):
        return exc.format_message()
    return str(exc)


def parse_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


class Pages:
    """One application: settings, database and the process's keys."""

    def __init__(self, app: App, keys: Keys | None = None, config_path: str | None = None) -> None:
        from casefile.config import resolve_config_path

        self.app = app
        # The file the settings came from: `intake check` names it in its first line.
        self.config_path = config_path or str(resolve_config_path(None))
        self.keys = keys or Keys()
        self.env = _environment()
        self.web = app.settings.web
        # Plain http only for the local demo; behind the office's proxy cookies are Secure.
        self.secure = self.web.auth != "local"
        from casefile.web.oidc import Provider

        self.oidc = Provider(self.web) if self.web.auth == "oidc" else None

    # --- plumbing ---------------------------------------------------------------------------

    def nonce(self, request: Request) -> str:
        value = request.cookies.get(NONCE_COOKIE)
        if not value or len(value) > 64:
            value = getattr(request.state, "new_nonce", None) or secrets.token_urlsafe(24)
            request.state.new_nonce = value
        return value

    def render(
        self,
        request: Request,
        template: str,
        user: User | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        nonce = self.nonce(request)
        csrf = self.keys.csrf_token(nonce, user.name if user else "")
        html = self.env.get_template(template).render(
            user=user,
            csrf=csrf,
            lang=lang(),
            path=request.url.path,
            public_diary=self.web.public_diary,
            local=self.web.auth == "local",
            oidc=self.web.auth == "oidc",
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        self._cookies(request, response)
        return response

    def _cookies(self, request: Request, response: Response) -> None:
        new = getattr(request.state, "new_nonce", None)
        if new:
            response.set_cookie(
                NONCE_COOKIE, new, httponly=True, secure=self.secure, samesite="lax"
            )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'"
        )

    def problem(self, request: Request, status: int, word: str, user: User | None) -> Response:
        if status == 401 and self.web.auth in ("local", "oidc"):
            return RedirectResponse("/login", status_code=303)
        return self.render(request, "problem.html", user, status=status, problem_text=w(word))

    def staff(
        self, role: str = "läsare"
    ) -> Callable[
        [Callable[[Request, User], Awaitable[Response]]], Callable[[Request], Awaitable[Response]]
    ]:
        def decorate(
            handler: Callable[[Request, User], Awaitable[Response]],
        ) -> Callable[[Request], Awaitable[Response]]:
            async def endpoint(request: Request) -> Response:
                try:
                    user = identify(request, self.web, self.keys)
                except AuthProblem as exc:
                    return self.problem(request, exc.status, exc.word, None)
                if not user.may(role):
                    return self.problem(request, 403, "forbidden", user)
                if request.method == "POST":
                    form = await request.form()
                    token = form.get("csrf")
                    nonce = request.cookies.get(NONCE_COOKIE)
                    if not self.keys.csrf_ok(nonce, user.name, str(token) if token else None):
                        return self.problem(request, 403, "bad_csrf", user)
                return await handler(request, user)

            return endpoint

        return decorate

    def done(self, where: str, message: str) -> Response:
        sep = "&" if "?" in where else "?"
        return RedirectResponse(f"{where}{sep}{urlencode({'klart': message})}", status_code=303)
