"""The pages of `casefile web`: Starlette routes over the functions the CLI calls.

Every page and act works without JavaScript: forms post, the server answers 303 to the page
that shows the result (a message in a live region). htmx, when it loads, only swaps <main> in
place. Reads run through casefile.queries and casefile.search; writes through casefile.register
(and intake.outgoing.sender.requeue_mail for the outbox), in one transaction each, with the
logged-in user's initials as the actor.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from click import ClickException
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from casefile.app import App
from casefile.db.engine import read_only
from casefile.errors import UserError
from casefile.web.auth import (
    NONCE_COOKIE,
    OIDC_COOKIE,
    SESSION_COOKIE,
    AuthProblem,
    Keys,
    User,
    identify,
    loopback,
)
from casefile.web.text import lang, w

PAGE_SIZE = 50
DIARY_PAGE = 100
STATIC = Path(__file__).parent / "static"

# Each act: the role it needs, and the form fields it requires.
ACTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sign": ("handläggare", ()),
    "unsign": ("handläggare", ("reason",)),
    "note": ("handläggare", ("text",)),
    "correct": ("handläggare", ("field", "value")),
    "due": ("handläggare", ("date",)),
    "close": ("handläggare", ()),
    "reopen": ("handläggare", ()),
    "cancel": ("registrator", ("reason",)),
    "secrecy": ("registrator", ("provision",)),
    "move": ("registrator", ("target",)),
    "contact": ("handläggare", ("address",)),
    "dismiss": ("registrator", ("reason",)),
    "register_attachment": ("registrator", ("n",)),
    "requeue": ("registrator", ()),
}
FIELD_WORDS = {
    "reason": "reason",
    "text": "note",
    "field": "field",
    "value": "value",
    "date": "date",
    "provision": "provision",
    "target": "target",
    "address": "address",
    "n": "attachments",
}


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


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ClickException):
        return exc.format_message()
    return str(exc)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


class Web:
    """One application: settings, database and the process's keys."""

    def __init__(self, app: App, keys: Keys | None = None) -> None:
        self.app = app
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
            Route("/status", s()(self.status)),
            static,
        ]
        if self.web.public_diary:
            routes.append(Route("/diarium", self.public_diary))
        return routes

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
        since, until = _date(p.get("since")), _date(p.get("until"))
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
            return self.render(request, "problem.html", user, 400, problem_text=_one_line(exc))
        name = safe_filename(f"{made.number}-{SUFFIX}.{made.kind}", f"{SUFFIX}.{made.kind}")
        return Response(
            made.data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )

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
        first, last = _date(p.get("from")), _date(p.get("to"))
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

        before = _date(request.query_params.get("closed_before"))
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
            return self._export_page(request, user, [("archive-before", _one_line(exc))], 400)

    async def export_diary(self, request: Request, user: User) -> Response:
        from casefile.export.diary import export_diary

        p = request.query_params
        first, last = _date(p.get("from")), _date(p.get("to"))
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

    # --- acts -------------------------------------------------------------------------------

    async def act(self, request: Request, user: User) -> Response:
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        name = values.get("act", "")
        ref = values.get("ref", "").strip()
        back = values.get("back", "")
        if name not in ACTS or not ref:
            return self.render(request, "problem.html", user, 400, problem_text=w("not_found"))
        role, required = ACTS[name]
        if not user.may(role):
            return self.problem(request, 403, "forbidden", user)
        try:
            message = self._perform(name, ref, values, required, user)
        except (FormProblem, UserError, ClickException) as exc:
            problems = (
                exc.problems
                if isinstance(exc, FormProblem)
                else [(self._field_of(name, required, values), _one_line(exc))]
            )
            return self._failed(request, user, name, ref, values, problems)
        if name == "register_attachment":  # to the new document
            back = "/arende/" + quote(values["_new"], safe="")
        # Only a path of this site: never //host or /\\host, which browsers take for another.
        local = back.startswith("/") and not back.startswith(("//", "/\\"))
        where = back if local and "\\" not in back else "/dokument"
        return self.done(where, message)

    def _perform(
        self, name: str, ref: str, values: dict[str, str], required: tuple[str, ...], user: User
    ) -> str:
        from casefile import register as r

        missing: list[tuple[str | None, str]] = [
            (f"{name}-{key}", w("required", field=w(FIELD_WORDS[key])))
            for key in required
            if not values.get(key, "").strip()
        ]
        if missing:
            raise FormProblem(missing)
        settings, by = self.app.settings, user.initials  # never a form field
        if name == "due":
            due = _date(values["date"])
            if due is None:
                raise FormProblem([("due-date", w("bad_date", field=w("date")))])
        with self.app.sessions() as s, s.begin():
            if name == "sign":
                r.sign_document(s, settings, ref, by)
            elif name == "unsign":
                r.unsign_document(s, settings, ref, values["reason"], by)
            elif name == "note":
                r.add_note(s, settings, ref, values["text"], by)
            elif name == "correct":
                field, value = values["field"], values["value"]
                if field == r.RECEIVED_DATE:
                    reason = values.get("reason") or ""
                    r.correct_received_date(s, settings, ref, value, reason, by)
                else:
                    r.correct_field(s, settings, ref, field, value, by)
            elif name == "cancel":
                r.cancel_document(s, settings, ref, values["reason"], by)
            elif name == "close":
                r.close_case(s, settings, ref, values.get("reason"), by)
            elif name == "reopen":
                r.reopen_case(s, settings, ref, by)
            elif name == "due":
                assert due is not None
                r.set_due_date(s, settings, ref, due, by)
            elif name == "secrecy":
                title = values.get("public_title")
                r.mark_secrecy(s, settings, ref, values["provision"], title, by)
            elif name == "move":
                r.move_document(s, settings, ref, values["target"], by)
            elif name == "contact":
                r.confirm_contact(s, settings, ref, values["address"], by)
            elif name == "register_attachment":
                values["_new"] = self._register_attachment(s, ref, values, by)
                return w("done_register", ref=values["_new"])
            elif name == "dismiss":
                r.dismiss_message(s, self._row_id(ref), values["reason"], by)
            elif name == "requeue":
                from intake.outgoing.sender import requeue_mail

                requeue_mail(s, self._row_id(ref), by)
        return w(f"done_{name}", ref=ref, initials=by)

    def _register_attachment(self, session: Any, ref: str, values: dict[str, str], by: str) -> str:
        """An attachment of an inbox mail registered as `casefile register` would (channel
        e-post, the mail's sender and arrival day), and the mail dismissed as registered."""
        from casefile.commands.register import Registration, register_one
        from casefile.register import dismiss_message, find_case

        source_id = self._row_id(ref)
        info, (headers, _text, files, _notes) = self._message(source_id)
        try:
            name, _kind, data = files[int(values["n"]) - 1]
        except (ValueError, IndexError):
            raise FormProblem([(None, w("not_found"))]) from None
        case_ref = values.get("case", "").strip()
        into = find_case(session, self.app.settings, case_ref) if case_ref else None
        how = Registration(
            direction="in",
            channel="email",
            party=headers.get("From") or info.get("sender") or "",
            day=info["arrived_at"].date(),
            kind=None,
            title=values.get("title", "").strip() or None,
            into=into,
            who=by,
        )
        done = register_one(self.app, session, name or f"bilaga-{values['n']}", data, how)
        number = str(done["diarienummer"])
        dismiss_message(session, source_id, f"registrerad som {number}", by)
        return number

    @staticmethod
    def _field_of(name: str, required: tuple[str, ...], values: dict[str, str]) -> str | None:
        """The field a register error is about, for the error summary's link."""
        if name == "register_attachment":
            return f"register-title-{values.get('n', '')}"
        return f"{name}-{required[0]}" if required else None

    @staticmethod
    def _row_id(ref: str) -> int:
        if not ref.isdigit():
            raise FormProblem([(None, w("not_found"))])
        return int(ref)

    def _failed(
        self,
        request: Request,
        user: User,
        name: str,
        ref: str,
        values: dict[str, str],
        problems: list[tuple[str | None, str]],
    ) -> Response:
        """The page the form was on, again, with the error summary and the values typed."""
        if name in ("dismiss", "register_attachment") and ref.isdigit():
            try:
                info, (headers, text, files, notes) = self._message(int(ref))
            except (UserError, OSError) as exc:
                return self.render(request, "problem.html", user, 404, problem_text=str(exc))
            from casefile.commands.mailbox import SHOWN_HEADERS

            return self.render(
                request,
                "mail.html",
                user,
                400,
                title=f"{w('inbox')} {ref}",
                id=int(ref),
                info=info,
                headers=[(SHOWN_HEADERS[k], v) for k, v in headers.items()],
                text=text,
                files=[(n or "", k, len(d)) for n, k, d in files],
                notes=notes,
                problems=problems,
                form=values,
            )
        if name == "requeue":
            return self.render(
                request, "problem.html", user, 400, problem_text="; ".join(m for _, m in problems)
            )
        try:
            context = self._case_context(ref, user)
        except UserError as exc:
            return self.render(request, "problem.html", user, 404, problem_text=str(exc))
        return self.render(
            request,
            "case.html",
            user,
            400,
            title=f"{w('case')} {context['data']['case']}",
            message=None,
            problems=problems,
            form={**values, "_act": name, "_ref": ref},
            **context,
        )

    # --- registering paper post ---------------------------------------------------------

    async def register(self, request: Request, user: User) -> Response:
        """Paper post (or a file from a personal mailbox): `casefile register FILE --from …
        --received …` with an upload."""
        from starlette.datastructures import UploadFile

        from casefile.commands.register import CHANNELS, Registration, register_one
        from casefile.register import find_case

        today = dt.datetime.now(self.app.settings.registry.zone).date()
        values: dict[str, str] = {"received": today.isoformat(), "channel": "post"}
        problems: list[tuple[str | None, str]] = []
        if request.method == "POST":
            form = await request.form()
            values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            limit = self.app.settings.limits.max_attachment_bytes
            data = b""
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(limit + 1)
            if not data:
                problems.append(("register-file", w("required", field=w("file"))))
            elif len(data) > limit:
                problems.append(("register-file", w("too_big", limit=limit)))
            if not values.get("from"):
                problems.append(("register-from", w("required", field=w("sender"))))
            day = _date(values.get("received"))
            if day is None:
                problems.append(("register-received", w("bad_date", field=w("received"))))
            channel = values.get("channel", "post")
            if channel not in CHANNELS:
                channel = "post"
            if not problems:
                assert isinstance(upload, UploadFile) and day is not None
                name = Path(upload.filename or "fil").name
                try:
                    with self.app.sessions() as session, session.begin():
                        case_ref = values.get("case", "")
                        how = Registration(
                            direction="in",
                            channel=channel,
                            party=values["from"],
                            day=day,
                            kind=None,
                            title=values.get("title") or None,
                            into=find_case(session, self.app.settings, case_ref)
                            if case_ref
                            else None,
                            who=user.initials,
                        )
                        done = register_one(self.app, session, name, data, how)
                except (UserError, ClickException) as exc:
                    field = "register-case" if values.get("case") else "register-title"
                    problems.append((field, _one_line(exc)))
                else:
                    number = str(done["diarienummer"])
                    return self.done(
                        "/arende/" + quote(number, safe=""), w("done_register", ref=number)
                    )
        return self.render(
            request,
            "register.html",
            user,
            400 if problems else 200,
            title=w("register_post"),
            problems=problems,
            form=values,
            channels=CHANNELS,
        )

    # --- the public diary -------------------------------------------------------------------

    async def public_diary(self, request: Request) -> Response:
        from casefile.export.diary import diary_rows

        p = request.query_params
        today = dt.datetime.now(self.app.settings.registry.zone).date()
        problems: list[tuple[str | None, str]] = []
        first, last = _date(p.get("from")), _date(p.get("to"))
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


def create_app(app: App, keys: Keys | None = None, public_only: bool = False) -> Starlette:
    """The ASGI application; `public_only`: the public diary alone, for a public host."""
    web = Web(app, keys)
    return Starlette(routes=web.routes(public_only))
