"""A loopback OAuth2 token endpoint for the tests (standard library HTTP server).

It speaks the shapes of the real services: Microsoft's v2.0 client-credentials endpoint
(`/{tenant}/oauth2/v2.0/token`, secret or certificate assertion, AADSTS error texts), Google's
JWT bearer grant (`/google/token`), and RFC 7662 introspection (`/introspect`) for Dovecot.
Tokens are HS256 JWTs padded to about 3 KB, like real ones. Tests set the lifetime, revoke
tokens, choose which mailbox each client may reach, and count requests.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt

ISSUER = "https://login.test/casefile"
SCOPE = "https://outlook.office365.com/.default"
PAD = "x" * 2600  # real tokens are 2-4 KB


@dataclass
class Client:
    secret: str | None = None
    public_key_pem: bytes | None = None  # certificate credential
    x5t: str | None = None
    mailbox: str = ""  # the `email` the token carries (the mailbox the app was granted)


@dataclass
class TokenStub:
    tenant: str = "forbund.onmicrosoft.com"
    lifetime: int = 3600
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clients: dict[str, Client] = field(default_factory=dict)
    # Google: service account email -> its public key; mailboxes it may act for.
    google_accounts: dict[str, bytes] = field(default_factory=dict)
    google_delegated: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)
    requests: int = 0
    introspections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # -- tokens --------------------------------------------------------------------------

    def mint(self, email: str, lifetime: int | None = None) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": "https://outlook.office365.com",
            "sub": email or "app",
            "email": email,
            "roles": ["IMAP.AccessAsApp", "SMTP.SendAsApp"],
            "iat": now,
            "nbf": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime),
            # Unique, as real tokens are (Entra's uti): without it two tokens minted in the same
            # second were identical, so a renewal right after revoke_all got a revoked token.
            "jti": secrets.token_hex(16),
            "pad": PAD,
        }
        token = jwt.encode(claims, self.key, algorithm="HS256")
        with self.lock:
            self.issued.append(token)
        return token

    def valid_email(self, token: str) -> str | None:
        """The mailbox a token is good for, or None (expired, revoked, forged)."""
        if token in self.revoked:
            return None
        try:
            claims = jwt.decode(
                token, self.key, algorithms=["HS256"], audience=None, options={"verify_aud": False}
            )
        except jwt.PyJWTError:
            return None
        return str(claims.get("email") or "") or None

    def revoke_all(self) -> None:
        with self.lock:
            self.revoked.update(self.issued)

    # -- server --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def microsoft_url(self) -> str:
        return f"{self.base_url}/{self.tenant}/oauth2/v2.0/token"

    @property
    def google_url(self) -> str:
        return f"{self.base_url}/google/token"

    @property
    def introspect_url(self) -> str:
        return f"{self.base_url}/introspect"

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                status, body = stub.answer(self.path, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the endpoints -------------------------------------------------------------------

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/introspect":
            with self.lock:
                self.introspections += 1
            email = self.valid_email(form.get("token", ""))
            return 200, {"active": email is not None, "username": email or ""}
        with self.lock:
            self.requests += 1
        if path == "/google/token":
            return self._google(form)
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
            return 404, {"error": "not_found"}
        if parts[0] != self.tenant:
            return 400, {
                "error": "invalid_request",
                "error_description": f"AADSTS90002: Tenant '{parts[0]}' not found. Check to "
                "make sure you have the correct tenant ID.",
            }
        return self._microsoft(form)

    def _ok(self, email: str) -> tuple[int, dict[str, Any]]:
        return 200, {
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "access_token": self.mint(email),
        }

    def _microsoft(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("scope") != SCOPE:
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope"}
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            return 400, {
                "error": "unauthorized_client",
                "error_description": f"AADSTS700016: Application with identifier "
                f"'{form.get('client_id')}' was not found in the directory.",
            }
        assertion = form.get("client_assertion")
        if assertion is not None:
            if client.public_key_pem is None or form.get("client_assertion_type") != (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ):
                return 401, {"error": "invalid_client", "error_description": "AADSTS700027"}
            try:
                header = jwt.get_unverified_header(assertion)
                claims = jwt.decode(
                    assertion,
                    client.public_key_pem,
                    algorithms=["RS256"],
                    audience=self.microsoft_url,
                )
            except jwt.PyJWTError:
                return 401, {
                    "error": "invalid_client",
                    "error_description": "AADSTS700027: Client assertion failed signature "
                    "validation.",
                }
            if header.get("x5t") != client.x5t or claims.get("iss") != form["client_id"]:
                return 401, {"error": "invalid_client", "error_description": "AADSTS700027: x5t"}
            return self._ok(client.mailbox)
        if form.get("client_secret") != client.secret:
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure "
                "the secret being sent in the request is the client secret value.",
            }
        return self._ok(client.mailbox)

    def _google(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}
        assertion = form.get("assertion", "")
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            key = self.google_accounts[unverified["iss"]]
            claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=self.google_url)
        except (jwt.PyJWTError, KeyError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims.get("scope") != "https://mail.google.com/":
            return 400, {"error": "invalid_scope"}
        if claims.get("sub") not in self.google_delegated:
            return 401, {
                "error": "unauthorized_client",
                "error_description": "Client is unauthorized to retrieve access tokens using "
                "this method, or client not authorized for any of the scopes requested.",
            }
        return self._ok(str(claims["sub"]))


def hs256_key_file_content(stub: TokenStub) -> str:
    """Dovecot's local validation key for HS256: the base64 of the shared secret."""
    return base64.b64encode(stub.key).decode("ascii")


def google_service_account(
    stub: TokenStub, key_file: Path, account: str, *mailboxes: str, key_id: str | None = "k1"
) -> Path:
    """A Google service account the stub knows, delegated for `mailboxes`, with its key file
    (JSON, as Google hands it out) written to `key_file`; returns the file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    stub.google_accounts[account] = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stub.google_delegated.update(mailboxes)
    content: dict[str, str] = {
        "type": "service_account",
        "client_email": account,
        "private_key": pem,
        "token_uri": stub.google_url,
    }
    if key_id is not None:
        content["private_key_id"] = key_id
    key_file.write_text(json.dumps(content))
    return key_file
