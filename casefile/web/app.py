"""The pages of `casefile web`: Starlette routes over the functions the CLI calls.

Every page and act works without JavaScript: forms post, the server answers 303 to the page
that shows the result (a message in a live region). htmx, when it loads, only swaps <main> in
place. Reads run through casefile.queries and casefile.search; writes through casefile.register
(and intake.outgoing.sender.requeue_mail for the outbox), in one transaction each, with the
logged-in user's initials as the actor.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from casefile.app import App
from casefile.web.acts import ActPages
from casefile.web.auth import Keys
from casefile.web.base import STATIC
from casefile.web.diary import DiaryPages
from casefile.web.exports import ExportPages
from casefile.web.session import SessionPages
from casefile.web.status import StatusPages


class Web(SessionPages, ActPages, ExportPages, StatusPages, DiaryPages):
    """One application: settings, database and the process's keys; the pages come from
    the modules of casefile.web, one per page or concern."""

    # --- routes -----------------------------------------------------------------------------

    def routes(self, public_only: bool = False) -> list[Any]:
        static = Mount("/static", StaticFiles(directory=STATIC), name="static")
        if public_only:  # a public host: the diary and nothing of the staff's
            return [Route("/", self.to_diary), Route("/diarium", self.public_diary), static]
        s = self.staff
        routes: list[Any] = [
            Route("/", self.home),
            Route("/login", self.login, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/oidc/callback", self.oidc_callback),
            Route("/dokument", s()(self.documents)),
            Route("/arende/{ref:path}", s()(self.case)),
            Route("/akt", s("handläggare")(self.act), methods=["POST"]),
            Route("/handling/{ref}/fil/{sha256}", s("handläggare")(self.document_file)),
            Route("/handling/{ref}/kopia", s("handläggare")(self.registration_copy)),
            Route("/registrera", s("registrator")(self.register), methods=["GET", "POST"]),
            Route("/inkorg", s("handläggare")(self.inbox)),
            Route("/inkorg/{id:int}", s("handläggare")(self.mail)),
            Route("/inkorg/{id:int}/bilaga/{n:int}", s("handläggare")(self.attachment)),
            Route("/utkorg", s("handläggare")(self.outbox)),
            Route("/export", s()(self.export)),
            Route("/export/diarium", s()(self.export_diary)),
            Route("/export/styrelse", s("handläggare")(self.export_board)),
            Route("/export/finsam", s("handläggare")(self.export_finsam)),
            Route("/export/arkiv", s("registrator")(self.export_archive)),
            Route("/status", s()(self.status), methods=["GET", "POST"]),
            static,
        ]
        if self.web.public_diary:
            routes.append(Route("/diarium", self.public_diary))
        return routes


def create_app(
    app: App, keys: Keys | None = None, public_only: bool = False, config_path: str | None = None
) -> Starlette:
    """The ASGI application; `public_only`: the public diary alone, for a public host;
    `config_path`: the settings' file, as the Status page's check names it."""
    web = Web(app, keys, config_path)
    return Starlette(routes=web.routes(public_only))
