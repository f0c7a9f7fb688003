"""`intake check` for Microsoft Graph: the token and the application roles in it, the mailbox
and its folders reachable, and whether the app reaches mailboxes beyond the configured ones
(application permissions cover every mailbox of the tenant until an application access policy
or RBAC for Applications scopes them). sendMail has no dry run: its permission is read from the
token's roles, nothing is sent."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from casefile.config import MailboxSettings, OAuth2Settings, Settings
from intake.auth.tokens import CACHE, TokenError
from intake.sources.graph import PERMISSION_HINT, GraphError, GraphSource, GraphUnreachable

if TYPE_CHECKING:
    from intake.check_result import Check


def roles(token: str) -> list[str] | None:
    """The `roles` claim of an app-only token (a JWT; read, not verified: only to advise), or
    None when the token is no readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    found = payload.get("roles") if isinstance(payload, dict) else None
    return [str(r) for r in found] if isinstance(found, list) else None


def _role_check(name: str, token: str, wanted: str, user: str) -> Check:
    from intake.check_result import Check

    held = roles(token)
    if held is None:
        return Check(
            name, True, f"behörigheten {wanted} kunde inte läsas ur token (inte kontrollerad)"
        )
    if wanted in held or (wanted == "Mail.ReadWrite" and "Mail.ReadWrite.All" in held):
        return Check(name, True, f"{wanted} finns i token")
    return Check(
        name,
        False,
        f"{wanted} saknas i token: " + PERMISSION_HINT.format(permission=wanted, user=user),
    )


def _token(
    name: str, label: str, credential: str, cfg: OAuth2Settings, user: str
) -> Iterator[Check | str]:
    from intake.check_result import Check

    try:
        token = CACHE.token(credential, cfg, user, renew=True)
    except TokenError as exc:
        yield Check(label, False, str(exc))
        return
    yield Check(label, True, f"hämtad från oauth2 {credential}")
    yield token


def mailbox_checks(settings: Settings, box: MailboxSettings) -> Iterator[Check]:
    from intake.check_result import Check

    where = f"brevlåda {box.name}"
    token = ""
    for item in _token(
        box.name, f"{where}: token", box.oauth2, settings.oauth2[box.oauth2], box.username
    ):
        if isinstance(item, str):
            token = item
        else:
            yield item
    if not token:
        return
    yield _role_check(f"{where}: behörighet", token, "Mail.ReadWrite", box.username)
    source = GraphSource.for_settings(settings, box, set, lambda: None, lambda _: None)
    step = f"{where}: mapp"
    try:
        found = source.folder_id(box.folder, ask=True)
        if found is None:
            yield Check(step, False, f"{box.folder} finns inte; ändra mailboxes[{box.name}].folder")
            return
        yield Check(step, True, f"{box.folder} finns i {box.username}")
        detail, warn = scope(settings, box, source)
        yield Check(f"{where}: andra brevlådor", True, detail, warning=warn)
        if box.processed_folder:
            step = f"{where}: mapp för hanterad post"
            exists = source.folder_id(box.processed_folder) is not None
            yield Check(
                step,
                True,
                f"{box.processed_folder} finns"
                if exists
                else f"{box.processed_folder} finns inte än; skapas när första meddelandet flyttas",
            )
    except GraphError as exc:
        if exc.status in (401, 403):
            detail = f"Graph nekade ({exc}): " + PERMISSION_HINT.format(
                permission="Mail.ReadWrite", user=box.username
            )
        else:
            detail = f"Graph svarade {exc}"
        yield Check(step, False, detail)
    except (GraphUnreachable, TokenError) as exc:
        yield Check(step, False, f"kan inte nå {box.graph_url} ({exc})")


# Other mailboxes tried at most (a user without a mailbox answers 404 and the next is tried).
SCOPE_PROBES = 3


def _configured(settings: Settings) -> set[str]:
    names = {b.username.lower() for b in settings.mailboxes if b.type == "graph"}
    if settings.smtp.transport == "graph" and settings.smtp.username:
        names.add(settings.smtp.username.lower())
    return names


def scope(settings: Settings, box: MailboxSettings, source: GraphSource) -> tuple[str, bool]:
    """Whether the app can read a mailbox it should not: the tenant's users are listed (that
    needs User.Read.All; without it the check says it could not try) and the Inbox of the first
    few that are not configured is asked for; one that answers is a warning. Read only: an
    Inbox's id is all that is asked. The check's detail, and whether it is a warning."""
    client = source.client
    own = _configured(settings)
    try:
        users = client.json("GET", f"{client.base}/users?$select=mail,userPrincipalName&$top=25")
    except GraphError as exc:
        if exc.status in (401, 403):
            return (
                "kunde inte prövas (appen får inte läsa användarlistan); prova med "
                "Test-ApplicationAccessPolicy att en annan brevlåda nekas",
                False,
            )
        return f"kunde inte prövas: Graph svarade {exc}", False
    except (GraphUnreachable, TokenError) as exc:
        return f"kunde inte prövas: {exc}", False
    others: list[str] = []
    for user in users.get("value") or []:
        if not isinstance(user, dict):
            continue
        address = str(user.get("mail") or user.get("userPrincipalName") or "")
        if address and address.lower() not in own and address not in others:
            others.append(address)
    denied: list[str] = []
    for other in others[:SCOPE_PROBES]:
        url = f"{client.base}/users/{urllib.parse.quote(other, safe='@')}/mailFolders/inbox"
        try:
            client.json("GET", url + "?$select=id")
        except GraphError as exc:
            if exc.status in (401, 403):
                denied.append(other)
                continue
            if exc.status == 404:
                continue  # no mailbox (or none reachable by REST): try the next user
            return f"kunde inte prövas: Graph svarade {exc}", False
        except (GraphUnreachable, TokenError) as exc:
            return f"kunde inte prövas: {exc}", False
        client_id = settings.oauth2[box.oauth2].client_id or "<appens id>"
        return (
            f"appen kan läsa {other} också: begränsa den till {box.username} med "
            f"New-ApplicationAccessPolicy -AppId {client_id} -PolicyScopeGroupId <grupp med "
            "brevlådan> -AccessRight RestrictAccess",
            True,
        )
    if denied:
        return f"nekas som sig bör (prövat med {', '.join(denied)})", False
    return "inga andra brevlådor att pröva med", False


def smtp_checks(settings: Settings) -> Iterator[Check]:
    from intake.check_result import Check

    s = settings.smtp
    user = s.username or ""
    token = ""
    for item in _token("smtp", "SMTP: token", s.oauth2, settings.oauth2[s.oauth2], user):
        if isinstance(item, str):
            token = item
        else:
            yield item
    if not token:
        return
    check = _role_check("SMTP: behörighet", token, "Mail.Send", user)
    yield check
    if check.ok:
        yield Check(
            "SMTP: sendMail",
            True,
            "provas inte (Graph har ingen provsändning); första kvittensen visar om det fungerar",
        )
