"""Inkorg: the mail that needs a person, one mail read with its attachments."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from casefile.db.engine import read_only
from casefile.errors import UserError
from casefile.web.auth import User
from casefile.web.base import Pages
from casefile.web.text import w


class InboxPages(Pages):
    async def inbox(self, request: Request, user: User) -> Response:
        from casefile.queries import inbox_json
        from casefile.states import MessageState, label_of, readable_reason

        zone = self.app.settings.registry.zone
        with read_only(self.app.engine) as conn:
            items = inbox_json(conn)
        for m in items:
            reason = m["reason"] or "; ".join(a["error"] for a in m["attachments"] if a["error"])
            m["reason_text"] = readable_reason(reason) if reason else ""
            m["arrived"] = (
                dt.datetime.fromisoformat(m["internal_date"]).astimezone(zone).date().isoformat()
            )
            m["state_label"] = label_of(MessageState, m["state"])
        return self.render(
            request,
            "inbox.html",
            user,
            title=w("inbox"),
            items=items,
            message=request.query_params.get("klart"),
        )

    def _message(self, source_id: int) -> tuple[dict[str, Any], Any]:
        from casefile.commands.mailbox import _parts
        from casefile.queries import message_json, message_row

        with read_only(self.app.engine) as conn:
            row = message_row(conn, source_id)
            info = message_json(row, [])
        raw = self.app.archive.get(row["raw_sha256"])
        parts = _parts(raw, self.app.settings.limits.max_header_bytes)
        info["arrived_at"] = row["internal_date"].astimezone(self.app.settings.registry.zone)
        return info, parts

    async def mail(self, request: Request, user: User) -> Response:
        from casefile.commands.mailbox import SHOWN_HEADERS

        source_id = request.path_params["id"]
        try:
            info, (headers, text, files, notes) = self._message(source_id)
        except (UserError, OSError) as exc:
            return self.render(request, "problem.html", user, 404, problem_text=str(exc))
        return self.render(
            request,
            "mail.html",
            user,
            title=f"{w('inbox')} {source_id}",
            id=source_id,
            info=info,
            headers=[(SHOWN_HEADERS[k], v) for k, v in headers.items()],
            text=text,
            files=[(name or "", kind, len(data)) for name, kind, data in files],
            notes=notes,
            problems=[],
            form={},
        )

    async def attachment(self, request: Request, user: User) -> Response:
        from casefile.commands.mailbox import safe_filename

        source_id, n = request.path_params["id"], request.path_params["n"]
        try:
            _, (_, _, files, _) = self._message(source_id)
            name, _kind, data = files[n - 1]
        except (UserError, OSError, IndexError):
            return self.render(request, "problem.html", user, 404, problem_text=w("not_found"))
        filename = safe_filename(name, n)
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
        )
