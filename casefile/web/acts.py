"""The acts on a document, case, mail or outbox row (one form each, through
casefile.register), and registering paper post with an upload."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from click import ClickException
from starlette.requests import Request
from starlette.responses import Response

from casefile.errors import UserError
from casefile.web.auth import User
from casefile.web.base import FormProblem, one_line, parse_date
from casefile.web.documents import DocumentPages
from casefile.web.inbox import InboxPages
from casefile.web.text import w

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


class ActPages(DocumentPages, InboxPages):
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
                else [(self._field_of(name, required, values), one_line(exc))]
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
            due = parse_date(values["date"])
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
            day = parse_date(values.get("received"))
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
                    problems.append((field, one_line(exc)))
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
