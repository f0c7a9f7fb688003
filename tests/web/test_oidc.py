"""Login through OpenID Connect against a provider of our own on loopback: discovery, the
authorization code with PKCE, a signed ID token (RS256, keys published as a JWK set)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from casefile.app import App
from casefile.web.app import create_app
from tests.intake.conftest import build_app
from tests.web.conftest import web_section

CLIENT_ID = "casefile-web"
REDIRECT = "https://diarium.test/oidc/callback"


class Provider:
    """An honest small provider: it remembers each authorization (nonce, PKCE challenge) and
    checks the code verifier when the code is exchanged."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, str]] = {}
        self.audience = CLIENT_ID
        self.nonce_override: str | None = None
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: object, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.base,
                            "authorization_endpoint": provider.base + "/authorize",
                            "token_endpoint": provider.base + "/token",
                            "jwks_uri": provider.base + "/jwks",
                        }
                    )
                elif self.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                grant = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if grant is None or challenge != grant["code_challenge"]:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                now = int(time.time())
                claims = {
                    "iss": provider.base,
                    "aud": provider.audience,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": provider.nonce_override or grant["nonce"],
                    "preferred_username": grant["user"],
                }
                token = jwt.encode(claims, provider.key, algorithm="RS256", headers={"kid": "k1"})
                self._json({"id_token": token, "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def approve(self, authorize_url: str, user: str) -> dict[str, str]:
        """The user logs in at the provider: the answer the browser is sent back with."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == REDIRECT
        assert query["code_challenge_method"] == "S256" and "openid" in query["scope"]
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "user": user}
        return {"code": code, "state": query["state"]}


@pytest.fixture
def oidc(db_url: str, tmp_path: Path) -> Iterator[tuple[App, Provider]]:
    provider = Provider()
    section = web_section(
        "oidc",
        oidc_issuer=provider.base,
        oidc_client_id=CLIENT_ID,
        oidc_redirect_url=REDIRECT,
    )
    app = build_app(db_url, tmp_path, web=section)
    yield app, provider
    app.engine.dispose()
    provider.server.shutdown()


def login(app: App, provider: Provider, user: str, state: str | None = None) -> tuple[Any, Any]:
    client = TestClient(create_app(app), base_url="https://testserver", follow_redirects=False)
    start = client.get("/login")
    assert start.status_code == 303 and start.headers["location"].startswith(provider.base)
    answer = provider.approve(start.headers["location"], user)
    if state is not None:
        answer["state"] = state
    return client, client.get("/oidc/callback", params=answer)


def test_an_oidc_login_names_the_user(oidc: tuple[App, Provider]) -> None:
    app, provider = oidc
    client, back = login(app, provider, "bo@forbund.test")
    assert back.status_code == 303 and back.headers["location"] == "/dokument"
    assert "httponly" in back.headers["set-cookie"].lower()
    page = client.get("/dokument")
    assert page.status_code == 200 and "(BE, handläggare)" in page.text
    # Without a session the pages send the user to the provider's login
    fresh = TestClient(create_app(app), base_url="https://testserver", follow_redirects=False)
    assert fresh.get("/dokument").headers["location"] == "/login"


def test_a_forged_or_foreign_answer_is_refused(oidc: tuple[App, Provider]) -> None:
    app, provider = oidc
    _, forged = login(app, provider, "anna@forbund.test", state="forged")
    assert forged.status_code == 403 and "casefile_session" not in forged.headers.get(
        "set-cookie", ""
    )
    _, stranger = login(app, provider, "mallory@evil.test")
    assert stranger.status_code == 403
    provider.audience = "another-app"  # a token issued to someone else
    _, foreign = login(app, provider, "anna@forbund.test")
    assert foreign.status_code == 403 and "godtogs inte" in foreign.text
    provider.audience, provider.nonce_override = CLIENT_ID, "replayed"
    _, replayed = login(app, provider, "anna@forbund.test")
    assert replayed.status_code == 403 and "nonce" in replayed.text
