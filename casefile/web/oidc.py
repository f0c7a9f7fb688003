"""Login through OpenID Connect (Entra ID or any standard provider): the authorization code
flow with PKCE, the state and nonce in a signed cookie, the ID token's signature checked
against the provider's published keys, its issuer, audience, expiry and nonce."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casefile.config import WebSettings
from casefile.errors import UserError

TIMEOUT = 10


class OidcError(UserError):
    """The provider's answer could not be used; one line, never the token."""


def _get_json(url: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read(1_000_000))
    except (OSError, ValueError) as exc:
        raise OidcError(f"OIDC: {url.split('?')[0]} svarade inte ({exc})") from None
    if not isinstance(answer, dict):
        raise OidcError(f"OIDC: {url.split('?')[0]} gav inget JSON-objekt")
    return answer


@dataclass
class Provider:
    web: WebSettings
    _discovery: dict[str, Any] = field(default_factory=dict)
    _jwks: Any = None

    def discovery(self) -> dict[str, Any]:
        if not self._discovery:
            issuer = self.web.oidc_issuer.rstrip("/")
            self._discovery = _get_json(f"{issuer}/.well-known/openid-configuration")
        return self._discovery

    def start(self) -> tuple[str, str]:
        """(the provider's login address, the value of the state cookie)."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.web.oidc_client_id,
                "redirect_uri": self.web.oidc_redirect_url,
                "scope": "openid profile email",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return (
            f"{self.discovery()['authorization_endpoint']}?{query}",
            f"{state}.{nonce}.{verifier}",
        )

    def finish(self, cookie: str, state: str, code: str) -> str:
        """The user named by the ID token the code is exchanged for."""
        import jwt

        try:
            expected, nonce, verifier = cookie.split(".")
        except ValueError:
            raise OidcError("OIDC: inloggningen gick ut; försök igen") from None
        if not secrets.compare_digest(expected, state):
            raise OidcError("OIDC: fel state; försök igen")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.web.oidc_redirect_url,
            "client_id": self.web.oidc_client_id,
            "code_verifier": verifier,
        }
        if self.web.oidc_client_secret_file:
            form["client_secret"] = Path(self.web.oidc_client_secret_file).read_text().strip()
        tokens = _get_json(self.discovery()["token_endpoint"], form)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("OIDC: inget id_token i svaret")
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self.discovery()["jwks_uri"], timeout=TIMEOUT)
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=self.web.oidc_client_id,
                issuer=self.discovery().get("issuer", self.web.oidc_issuer),
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"OIDC: ID-token godtogs inte ({exc})") from None
        if not secrets.compare_digest(str(claims.get("nonce")), nonce):
            raise OidcError("OIDC: fel nonce; försök igen")
        if claims.get("exp", 0) < time.time() - 60:
            raise OidcError("OIDC: ID-token har gått ut")
        user = claims.get(self.web.oidc_user_claim)
        if not isinstance(user, str) or not user:
            raise OidcError(f"OIDC: ID-token saknar {self.web.oidc_user_claim}")
        return user
