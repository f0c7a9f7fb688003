"""Logging in and out: the local demo's login, OIDC's start and callback, the landing page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from casefile.web.auth import NONCE_COOKIE, OIDC_COOKIE, SESSION_COOKIE, loopback
from casefile.web.base import Pages
from casefile.web.text import w


class SessionPages(Pages):
    async def to_diary(self, request: Request) -> Response:
        return RedirectResponse("/diarium", status_code=303)

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/dokument", status_code=303)

    def _login_as(self, name: str) -> Response:
        response = RedirectResponse("/dokument", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.keys.session_value(name),
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )
        return response

    async def oidc_callback(self, request: Request) -> Response:
        from casefile.web.oidc import OidcError

        if self.web.auth != "oidc" or self.oidc is None:
            return self.render(request, "problem.html", None, 404, problem_text=w("not_found"))
        cookie = self.keys.session_user(request.cookies.get(OIDC_COOKIE))
        p = request.query_params
        if cookie is None or not p.get("state") or not p.get("code"):
            return self.problem(request, 403, "not_logged_in", None)
        try:
            name = self.oidc.finish(cookie, p["state"], p["code"])
        except OidcError as exc:
            return self.render(request, "problem.html", None, 403, problem_text=str(exc))
        if name not in self.web.users:
            return self.problem(request, 403, "unknown_user", None)
        response = self._login_as(name)
        response.delete_cookie(OIDC_COOKIE)
        return response

    async def login(self, request: Request) -> Response:
        if self.web.auth == "oidc" and self.oidc is not None:
            from casefile.web.oidc import OidcError

            try:
                where, state = self.oidc.start()
            except OidcError as exc:
                return self.render(request, "problem.html", None, 502, problem_text=str(exc))
            response = RedirectResponse(where, status_code=303)
            response.set_cookie(
                OIDC_COOKIE,
                self.keys.session_value(state),
                httponly=True,
                secure=self.secure,
                samesite="lax",
                max_age=600,
            )
            return response
        if self.web.auth != "local":
            return self.render(request, "problem.html", None, 404, problem_text=w("not_found"))
        error = None
        if request.method == "POST":
            form = await request.form()
            token = form.get("csrf")
            nonce = request.cookies.get(NONCE_COOKIE)
            if not self.keys.csrf_ok(nonce, "", str(token) if token else None):
                return self.problem(request, 403, "bad_csrf", None)
            name = str(form.get("user") or "").strip()
            client = request.client.host if request.client else None
            # The demo's login has no password: only from this machine.
            if not loopback(client):
                return self.problem(request, 403, "forbidden", None)
            if name in self.web.users:
                return self._login_as(name)
            error = w("unknown_user")
        return self.render(
            request, "login.html", None, 400 if error else 200, error=error, title=w("log_in")
        )

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/login" if self.web.auth != "proxy" else "/", 303)
        response.delete_cookie(SESSION_COOKIE)
        return response
