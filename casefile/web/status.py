"""Status: the register's counts and what `intake status` says."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from casefile.db.engine import read_only
from casefile.web.auth import User
from casefile.web.base import Pages
from casefile.web.text import w


class StatusPages(Pages):
    async def status(self, request: Request, user: User) -> Response:
        from casefile.db.models import Case, OutboxMail
        from casefile.queries import DocumentFilter, count_documents, inbox_json
        from casefile.states import DocumentStatus

        with read_only(self.app.engine) as conn:
            counts = [
                (
                    w("open_cases"),
                    conn.execute(
                        select(func.count()).select_from(Case).where(Case.status == "open")
                    ).scalar_one(),
                ),
                (w("documents_total"), count_documents(conn, DocumentFilter(limit=None))),
                (
                    w("unsigned_total"),
                    count_documents(conn, DocumentFilter(unsigned=True, limit=None)),
                ),
                (
                    w("incomplete_total"),
                    count_documents(
                        conn, DocumentFilter(status=DocumentStatus.INCOMPLETE, limit=None)
                    ),
                ),
                (w("inbox_total"), len(inbox_json(conn))),
                (
                    w("outbox_problems"),
                    conn.execute(
                        select(func.count())
                        .select_from(OutboxMail)
                        .where(OutboxMail.state.in_(("failed", "uncertain")))
                    ).scalar_one(),
                ),
            ]
        intake = None
        if user.may("handläggare"):
            from intake.service.status import render_text, status_report

            intake = render_text(status_report(self.app), self.app.settings)
        return self.render(
            request, "status.html", user, title=w("status_page"), counts=counts, intake=intake
        )
