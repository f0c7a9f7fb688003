"""Who is asking: the logged-in user from the reverse proxy's header (only from a trusted proxy
address) or, in the local demo mode, from a signed session cookie; roles; CSRF tokens.

The user's initials come from `[web.users]` and are the `--by` of every act: no form field can
name another actor.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from starlette.requests import Request

from casefile.config import WebSettings

ROLES = ("läsare", "handläggare", "registrator")
SESSION_COOKIE = "casefile_session"
NONCE_COOKIE = "casefile_nonce"
OIDC_COOKIE = "casefile_oidc"


@dataclass(frozen=True)
class User:
    name: str
    initials: str
    role: str

    def may(self, role: str) -> bool:
        """At least `role`: läsare < handläggare < registrator."""
        return ROLES.index(self.role) >= ROLES.index(role)


class AuthProblem(Exception):
    """Refused: `status` 401 (not logged in) or 403 (forged or unknown); `word` says why."""

    def __init__(self, status: int, word: str) -> None:
        super().__init__(word)
        self.status = status
        self.word = word


def _trusted(address: str | None, proxies: list[str]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class Keys:
    """The process's secret: signs local sessions and CSRF tokens. A restart logs the demo's
    users out and expires open forms, which is all it costs."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def mac(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def session_value(self, name: str) -> str:
        return f"{name}|{self.mac('session', name)}"

    def session_user(self, value: str | None) -> str | None:
        if not value or "|" not in value:
            return None
        name, mac = value.rsplit("|", 1)
        return name if hmac.compare_digest(mac, self.mac("session", name)) else None

    def csrf_token(self, nonce: str, user: str) -> str:
        return self.mac("csrf", nonce, user)

    def csrf_ok(self, nonce: str | None, user: str, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(nonce, user))


def identify(request: Request, web: WebSettings, keys: Keys) -> User:
    """The user of a staff page, or AuthProblem."""
    client = request.client.host if request.client else None
    if web.auth == "proxy":
        claimed = request.headers.get(web.proxy_user_header)
        if claimed is None:
            raise AuthProblem(401, "not_logged_in")
        if not _trusted(client, web.trusted_proxies):
            raise AuthProblem(403, "untrusted_proxy")
        name = claimed.strip()
    else:  # "local" and "oidc": the session cookie the login set
        found = keys.session_user(request.cookies.get(SESSION_COOKIE))
        if found is None:
            raise AuthProblem(401, "not_logged_in")
        name = found
    entry = web.users.get(name)
    if entry is None:
        raise AuthProblem(403, "unknown_user")
    return User(name, entry.initials, entry.role)
