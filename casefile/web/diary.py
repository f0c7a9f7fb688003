"""The public e-diarium at /diarium: the `--public` listing only, no login."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from casefile.db.engine import read_only
from casefile.web.base import DIARY_PAGE, Pages, parse_date
from casefile.web.text import w


class DiaryPages(Pages):
    # --- the public diary -------------------------------------------------------------------

    async def public_diary(self, request: Request) -> Response:
        from casefile.export.diary import diary_rows

        p = request.query_params
        today = dt.datetime.now(self.app.settings.registry.zone).date()
        problems: list[tuple[str | None, str]] = []
        first, last = parse_date(p.get("from")), parse_date(p.get("to"))
        if p.get("from") and first is None:
            problems.append(("from", w("bad_date", field=w("from_date"))))
        if p.get("to") and last is None:
            problems.append(("to", w("bad_date", field=w("to_date"))))
        last = last or today
        first = first or (last - dt.timedelta(days=90))
        query = (p.get("q") or "").strip()[:200]
        try:
            page = max(1, int(p.get("sida") or 1))
        except ValueError:
            page = 1
        words = query.casefold().split()
        with read_only(self.app.engine) as conn:
            rows = [
                row
                for row in diary_rows(conn, self.app.settings.registry, first, last, public=True)
                if all(any(x in v.casefold() for v in row.values()) for x in words)
            ]
        rows.reverse()  # newest first
        total = len(rows)
        shown = rows[(page - 1) * DIARY_PAGE : page * DIARY_PAGE]
        args = {"from": first.isoformat(), "to": last.isoformat(), "q": query}

        def page_url(n: int) -> str:
            return "/diarium?" + urlencode({**args, "sida": n})

        return self.render(
            request,
            "diary.html",
            None,
            400 if problems else 200,
            title=w("public_diary"),
            rows=shown,
            total=total,
            first=first.isoformat(),
            last=last.isoformat(),
            query=query,
            problems=problems,
            previous=page_url(page - 1) if page > 1 else None,
            next=page_url(page + 1) if page * DIARY_PAGE < total else None,
            public_page=True,
        )
