"""Status: the register's counts, what `intake status` says, and, on a button, what
`intake check` says (it contacts the mailboxes and the SMTP server, so never on a page load)."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from casefile.db.engine import read_only
from casefile.web.auth import User
from casefile.web.base import Pages
from casefile.web.text import w

if TYPE_CHECKING:
    from intake.check_result import Check

# The longest the page waits for `intake check`; a check that takes longer goes on in its
# thread (its sockets have their own timeouts) and the page says so.
CHECK_SECONDS = 60.0
# One check at a time in this process: the button pressed again while one runs is refused.
_CHECK_LOCK = threading.Lock()
MARKS = {"ok": "✓", "warning": "⚠", "error": "✗"}


class StatusPages(Pages):
    async def status(self, request: Request, user: User) -> Response:
        """GET: the page. POST (handläggare and registrator, with the CSRF token the staff
        decorator has checked): the page with the lines of `intake check`."""
        if request.method != "POST":
            return self._status_page(request, user)
        if not user.may("handläggare"):
            return self.problem(request, 403, "forbidden", user)
        if not _CHECK_LOCK.acquire(blocking=False):
            return self._status_page(request, user, [(None, w("check_busy"))], status=409)
        try:
            # Shielded: a check past the time limit finishes in its thread (and frees the lock).
            checks = await asyncio.wait_for(
                asyncio.shield(asyncio.to_thread(self._run_checks)), CHECK_SECONDS
            )
        except TimeoutError:
            problem = w("check_timeout", seconds=int(CHECK_SECONDS))
            return self._status_page(request, user, [(None, problem)], status=504)
        except Exception as exc:  # one line on the page, never a traceback
            problem = w("check_failed", error=str(exc) or type(exc).__name__)
            return self._status_page(request, user, [(None, problem)], status=500)
        return self._status_page(request, user, checks=checks)

    def _run_checks(self) -> list[Check]:
        """The checks `intake check` runs, in a worker thread; frees the lock when done."""
        from intake.check import run_checks

        try:
            return run_checks(self.app, self.config_path)
        finally:
            _CHECK_LOCK.release()

    def _status_page(
        self,
        request: Request,
        user: User,
        problems: list[tuple[str | None, str]] | None = None,
        checks: list[Check] | None = None,
        status: int = 200,
    ) -> Response:
        from casefile.db.models import Case, OutboxMail
        from casefile.queries import DocumentFilter, count_documents, inbox_json
        from casefile.states import DocumentStatus
        from intake.check_result import label

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
        lines = message = None
        if checks is not None:
            lines = [
                (c.status, MARKS[c.status], w(f"check_{c.status}"), label(c.name), c.detail)
                for c in checks
            ]
            tally = {s: sum(1 for c in checks if c.status == s) for s in MARKS}
            message = w(
                "check_done", ok=tally["ok"], warnings=tally["warning"], errors=tally["error"]
            )
        return self.render(
            request,
            "status.html",
            user,
            status,
            title=w("status_page"),
            counts=counts,
            intake=intake,
            checks=lines,
            message=message,
            problems=problems or [],
        )
