"""Utkorg and Export: the automatic mail, and the exports handed over as downloads."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from click import ClickException
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from casefile.db.engine import read_only
from casefile.errors import UserError
from casefile.web.auth import User
from casefile.web.base import Pages, one_line, parse_date
from casefile.web.text import w


class ExportPages(Pages):
    async def outbox(self, request: Request, user: User) -> Response:
        from casefile.commands.outgoing import outbox_json
        from casefile.db.models import OutboxMail
        from casefile.states import MailKind, OutboxState, label_of

        with self.app.sessions() as session:
            stmt = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200)
            rows = [outbox_json(r) for r in session.execute(stmt).scalars()]
        for r in rows:
            r["state_label"] = label_of(OutboxState, r["state"])
            r["kind_label"] = label_of(MailKind, r["kind"])
            r["may_requeue"] = r["state"] in ("uncertain", "failed", "suppressed")
        return self.render(
            request,
            "outbox.html",
            user,
            title=w("outbox"),
            rows=rows,
            message=request.query_params.get("klart"),
        )

    async def export(self, request: Request, user: User) -> Response:
        return self._export_page(request, user, [], 200)

    def _export_page(
        self,
        request: Request,
        user: User,
        problems: Sequence[tuple[str | None, str]],
        status: int,
        first: str | None = None,
        last: str | None = None,
    ) -> Response:
        today = dt.datetime.now(self.app.settings.registry.zone).date()
        return self.render(
            request,
            "export.html",
            user,
            status,
            title=w("export"),
            first=first if first is not None else today.replace(month=1, day=1).isoformat(),
            last=last if last is not None else today.isoformat(),
            year=today.year,
            problems=problems,
        )

    def _written(self, name: str, write: Callable[[Path], object], media: str) -> Response:
        """A file an export writes to a path, handed over as a download."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="casefile-web-") as tmp:
            path = Path(tmp) / name
            write(path)
            data = path.read_bytes()
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def export_board(self, request: Request, user: User) -> Response:
        from casefile.export.board import board_report, write_docx, write_html

        p = request.query_params
        first, last = parse_date(p.get("from")), parse_date(p.get("to"))
        if first is None or last is None or last < first:
            problems: list[tuple[str | None, str]] = [
                ("board-from", w("bad_date", field=w("from_date")))
            ]
            return self._export_page(request, user, problems, 400)
        docx = p.get("format") != "html"
        with read_only(self.app.engine) as conn:
            report = board_report(conn, first, last, self.app.settings.registry.office_name)
        name = f"styrelsen-{first}-{last}.{'docx' if docx else 'html'}"
        media = (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if docx
            else "text/html; charset=utf-8"
        )
        return self._written(
            name, lambda path: (write_docx if docx else write_html)(report, path), media
        )

    async def export_finsam(self, request: Request, user: User) -> Response:
        from casefile.export.finsam import finsam_rows, write_csv, write_xlsx

        try:
            year = int(request.query_params.get("year") or "")
        except ValueError:
            year = 0
        if not 2000 <= year <= 2100:
            problems: list[tuple[str | None, str]] = [("finsam-year", w("bad_year"))]
            return self._export_page(request, user, problems, 400)
        xlsx = request.query_params.get("format") != "csv"
        with read_only(self.app.engine) as conn:
            rows = finsam_rows(conn, year)
        name = f"uppfoljning-{year}.{'xlsx' if xlsx else 'csv'}"
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if xlsx
            else "text/csv; charset=utf-8"
        )
        return self._written(
            name, lambda path: (write_xlsx if xlsx else write_csv)(rows, path), media
        )

    async def export_archive(self, request: Request, user: User) -> Response:
        from casefile.export.archive import export_archive, select_cases

        before = parse_date(request.query_params.get("closed_before"))
        if before is None:
            problems: list[tuple[str | None, str]] = [
                ("archive-before", w("bad_date", field=w("closed_before")))
            ]
            return self._export_page(request, user, problems, 400)
        settings = self.app.settings
        try:
            with read_only(self.app.engine) as conn:
                chosen = select_cases(conn, settings, (), before)

                def write(path: Path) -> None:
                    kind = settings.export.content_information_type
                    export_archive(conn, settings, chosen, path, kind)

                return self._written(f"arkiv-{before}.zip", write, "application/zip")
        except (UserError, ClickException) as exc:
            return self._export_page(request, user, [("archive-before", one_line(exc))], 400)

    async def export_diary(self, request: Request, user: User) -> Response:
        from casefile.export.diary import export_diary

        p = request.query_params
        first, last = parse_date(p.get("from")), parse_date(p.get("to"))
        fmt = "json" if p.get("format") == "json" else "csv"
        # A läsare gets the version that can be handed out, whatever the form says.
        public = bool(p.get("public")) or not user.may("handläggare")
        if first is None or last is None or last < first:
            problems = []
            if first is None:
                problems.append(("from", w("bad_date", field=w("from_date"))))
            if last is None or (first and last < first):
                problems.append(("to", w("bad_date", field=w("to_date"))))
            return self._export_page(
                request, user, problems, 400, p.get("from") or "", p.get("to") or ""
            )
        out = io.StringIO()
        with read_only(self.app.engine) as conn:
            export_diary(
                conn, self.app.settings.registry, first, last, fmt, None, public, stdout=out
            )
        name = f"diarium-{first}-{last}{'-offentlig' if public else ''}.{fmt}"
        body = ("\ufeff" if fmt == "csv" else "") + out.getvalue()
        return Response(
            body.encode("utf-8"),
            media_type="text/csv; charset=utf-8" if fmt == "csv" else "application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
