"""Reading the register: the document list and search, a case page, a document's files
and its registration copy; for a läsare, through the public exports' disclosure rule."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from click import ClickException
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from casefile.db.engine import read_only
from casefile.errors import UserError
from casefile.web.auth import User
from casefile.web.base import PAGE_SIZE, Pages, one_line, parse_date
from casefile.web.text import w


class DocumentPages(Pages):
    # --- reading ----------------------------------------------------------------------------

    def _mask(self, conn: Any, user: User) -> Any:
        """For a läsare, the disclosure rule of the public exports; None for the others."""
        if user.may("handläggare"):
            return None
        from casefile.export.common import secret_titles
        from casefile.export.disclosure import Disclosure

        return Disclosure(secret_titles(conn))

    @staticmethod
    def _secret_cases(conn: Any) -> set[str]:
        from casefile.db.schema import cases
        from casefile.db.schema import documents as docs

        stmt = (
            select(cases.c.number)
            .join(docs, docs.c.case_id == cases.c.id)
            .where(docs.c.secrecy_provision.is_not(None))
        )
        return set(conn.execute(stmt).scalars())

    def _masked_doc(self, d: dict[str, Any], mask: Any) -> dict[str, Any]:
        if mask is None:
            return d
        d = dict(d)
        if d.get("secrecy"):
            d["title"] = mask.public_wording(d["secrecy"].get("public_title"))
            d["sender"] = d["subject"] = None
            d["findings"] = []
            d["signatures"] = []
            d["hidden"] = True
        for key in ("title", "organisation", "sender", "subject"):
            if d.get(key):
                d[key] = mask.text(d[key])
        # A finding may quote the report (a personnummer, a secret title): through the rule.
        d["findings"] = [
            {**f, "message": mask.text(str(f.get("message") or ""))} for f in d["findings"]
        ]
        return d

    async def documents(self, request: Request, user: User) -> Response:
        from casefile.queries import DocumentFilter, count_documents, list_documents
        from casefile.search import search
        from casefile.states import DocumentKind, DocumentStatus, label_of

        p = request.query_params
        query = (p.get("q") or "").strip()
        problems: list[tuple[str | None, str]] = []
        since, until = parse_date(p.get("since")), parse_date(p.get("until"))
        for key, value, word in (("since", since, "since"), ("until", until, "until")):
            if p.get(key) and value is None:
                problems.append((key, w("bad_date", field=w(word))))
        status = p.get("status") or None
        if status not in {s.value for s in DocumentStatus}:
            status = None
        kind = p.get("kind") or None
        if kind not in {k.value for k in DocumentKind}:
            kind = None
        try:
            page = max(1, int(p.get("sida") or 1))
        except ValueError:
            page = 1
        hits: list[dict[str, Any]] | None = None
        docs: list[dict[str, Any]] = []
        total = 0
        with read_only(self.app.engine) as conn:
            mask = self._mask(conn, user)
            if query:
                try:
                    hits = search(conn, query, limit=PAGE_SIZE)
                except UserError as exc:
                    problems.append(("q", str(exc)))
                    hits = []
                if mask is not None:
                    # A läsare is not told that a secret document (or its case) matched.
                    hidden = self._secret_cases(conn)
                    hits = [h for h in hits if not h["secrecy"] and h["case"] not in hidden]
                    for h in hits:
                        h["snippet"] = ""
                        h["title"] = mask.text(h["title"] or "")
                        h["organisation"] = mask.text(h["organisation"] or "")
            else:
                flt = DocumentFilter(
                    status=DocumentStatus(status) if status else None,
                    since=since,
                    until=until,
                    org=(p.get("org") or "").strip() or None,
                    kind=kind,
                    unsigned=bool(p.get("unsigned")),
                    limit=PAGE_SIZE,
                    offset=(page - 1) * PAGE_SIZE,
                )
                docs = [self._masked_doc(d, mask) for d in list_documents(conn, flt)]
                total = count_documents(conn, flt)
        args = {k: v for k, v in p.items() if k != "sida" and k != "klart" and v}
        pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)

        def page_url(n: int) -> str:
            return "/dokument?" + urlencode({**args, "sida": n})

        return self.render(
            request,
            "documents.html",
            user,
            400 if problems else 200,
            title=w("documents"),
            docs=docs,
            hits=hits,
            query=query,
            params=p,
            problems=problems,
            statuses=[(s.value, label_of(DocumentStatus, s.value)) for s in DocumentStatus],
            kinds=[(k.value, label_of(DocumentKind, k.value)) for k in DocumentKind],
            status_label=lambda code: label_of(DocumentStatus, code),
            total=total,
            first=(page - 1) * PAGE_SIZE + 1,
            last=(page - 1) * PAGE_SIZE + len(docs),
            previous=page_url(page - 1) if page > 1 else None,
            next=page_url(page + 1) if page < pages else None,
            message=p.get("klart"),
        )

    def _case_context(self, ref: str, user: User) -> dict[str, Any]:
        from casefile.commands.views import _warnings
        from casefile.history import describe, kind_label
        from casefile.i18n import language
        from casefile.queries import case_json, case_row, due_source_text
        from casefile.register import CORRECTABLE
        from casefile.states import CaseStatus, DocumentStatus, event_label, label_of
        from intake.extract.signatures import describe as describe_signature

        zone = self.app.settings.registry.zone
        with read_only(self.app.engine) as conn:
            data = case_json(conn, case_row(conn, self.app.settings, ref), self.app.settings)
            mask = self._mask(conn, user)
        warnings = _warnings(data) if mask is None else []
        secret_numbers = {d["diarienummer"] for d in data["documents"] if d["secrecy"]}
        data["documents"] = [self._masked_doc(d, mask) for d in data["documents"]]
        if mask is not None:
            data["title"] = mask.text(data["title"] or "")
            data["organisation"] = mask.text(data["organisation"] or "")
            data["contact_email"] = data["confirmed_contact_email"] = None
        events = []
        for e in data["events"]:
            at = dt.datetime.fromisoformat(e["at"]).astimezone(zone)
            detail = describe(e["action"], e["detail"])
            if mask is not None:
                detail = "" if e["document"] in secret_numbers else mask.text(detail)
            events.append(
                {
                    "at": at.strftime("%Y-%m-%d %H:%M"),
                    "actor": e["actor"],
                    "what": event_label(e["action"]),
                    "ref": e["document"] or data["case"],
                    "detail": detail,
                }
            )
        for d in data["documents"]:
            d["status_label"] = label_of(DocumentStatus, d["status"])
            d["kind_label"] = kind_label(d["kind"])
            d["signature_lines"] = [
                describe_signature(s, language()) for s in d.get("signatures") or []
            ]
        wanted = ref.strip().casefold()
        numbers = [d["diarienummer"] for d in data["documents"]]
        selected = next((n for n in numbers if n.casefold() == wanted), None)
        return {
            "ref_shown": selected or data["case"],
            "selected": selected,
            "data": data,
            "events": events,
            "warnings": warnings,
            "case_status": label_of(CaseStatus, data["status"]),
            "due_text": due_source_text(self.app.settings, data["due_source"]),
            "correctable": list(CORRECTABLE),
        }

    async def case(self, request: Request, user: User) -> Response:
        ref = request.path_params["ref"]
        try:
            context = self._case_context(ref, user)
        except UserError as exc:
            return self.render(request, "problem.html", user, 404, problem_text=str(exc))
        return self.render(
            request,
            "case.html",
            user,
            title=f"{w('case')} {context['data']['case']}",
            message=request.query_params.get("klart"),
            problems=[],
            form={},
            **context,
        )

    async def document_file(self, request: Request, user: User) -> Response:
        """A stored file of a document (`casefile file REF --save`), as a download."""
        from casefile.commands.copy import _document
        from casefile.filenames import safe_filename
        from casefile.files import document_files

        wanted = request.path_params["sha256"]
        try:
            with read_only(self.app.engine) as conn:
                doc = _document(conn, self.app.settings, request.path_params["ref"])
                files = document_files(conn, [doc])[doc["id"]]
            # Only a file of this document: the archive is addressed by hash alone.
            stored = next(f for f in files if f.sha256 == wanted)
            data = self.app.archive.get(stored.sha256)
        except (UserError, ClickException, StopIteration, OSError):
            return self.render(request, "problem.html", user, 404, problem_text=w("not_found"))
        name = safe_filename(stored.name or "", f"fil-{wanted[:12]}")
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )

    async def registration_copy(self, request: Request, user: User) -> Response:
        """`casefile copy REF`: the registration copy, made in memory, as a download."""
        from casefile.commands.copy import SUFFIX, make_copy
        from casefile.filenames import safe_filename

        try:
            made = make_copy(self.app, request.path_params["ref"])
        except (UserError, ClickException) as exc:
            return self.render(request, "problem.html", user, 400, problem_text=one_line(exc))
        name = safe_filename(f"{made.number}-{SUFFIX}.{made.kind}", f"{SUFFIX}.{made.kind}")
        return Response(
            made.data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )
