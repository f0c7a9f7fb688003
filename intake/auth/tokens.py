"""Access tokens from the three kinds of [oauth2.NAME] credential, and a cache for them.

- microsoft: the client-credentials grant (app-only) at the tenant's v2.0 token endpoint, with a
  client secret from the environment or, preferred, a certificate: a JWT client assertion signed
  with its private key, carrying the certificate's SHA-1 thumbprint as `x5t`.
- google: a service account with domain-wide delegation: the JWT bearer grant, `sub` = the mailbox.
- generic: any token_url with client credentials, or `token_command`, which prints a token.

A token or secret is never put in a log line, an exception message or a file: errors carry the
server's error code and the name of what to fix, nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import shlex
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from casefile.config import OAuth2Settings

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
# A token is fetched again this long before it expires (at most a fifth of its life).
RENEW_MARGIN_SECONDS = 120.0
# token_command prints no lifetime: keep what it printed this long.
COMMAND_TOKEN_SECONDS = 300.0
# A token answer is a few kB (Microsoft's are near 3 kB); more is not a token server's answer.
MAX_ANSWER_BYTES = 1_000_000
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class TokenError(Exception):
    """No token: one line saying what to fix. `kind` tells a refusal from a network fault."""

    def __init__(self, message: str, kind: str = "refused") -> None:
        super().__init__(message)
        self.kind = kind  # "refused" | "config" | "network"


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # time.time() seconds
    lifetime: float

    def __repr__(self) -> str:  # never show the token itself
        return f"Token(expires_at={self.expires_at:.0f})"


def token_url(cfg: OAuth2Settings) -> str:
    if cfg.token_url:
        return cfg.token_url
    if cfg.provider == "microsoft":
        tenant = urllib.parse.quote(cfg.tenant, safe="")
        return f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    return GOOGLE_TOKEN_URL


def scope(cfg: OAuth2Settings) -> str:
    if cfg.scope:
        return cfg.scope
    return GOOGLE_SCOPE if cfg.provider == "google" else MICROSOFT_SCOPE


def _secret(name: str, cfg: OAuth2Settings) -> str:
    value = os.environ.get(cfg.client_secret_env)
    if not value:
        raise TokenError(
            f"oauth2 {name}: miljövariabeln {cfg.client_secret_env} med klienthemligheten "
            "är inte satt",
            "config",
        )
    return value


def _read(path: str, what: str, name: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TokenError(
            f"oauth2 {name}: kan inte läsa {what} {path} ({exc.strerror})", "config"
        ) from None


def thumbprint(certificate_pem: bytes) -> str:
    """base64url SHA-1 of the certificate's DER bytes: the `x5t` Microsoft matches keys by."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(certificate_pem)
    from cryptography.hazmat.primitives.serialization import Encoding

    digest = hashlib.sha1(cert.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def client_assertion(name: str, cfg: OAuth2Settings, now: float) -> str:
    """The signed JWT that stands in for a client secret (Microsoft certificate credentials)."""
    cert = _read(cfg.certificate_file, "certifikatet", name)
    key = _read(cfg.private_key_file, "den privata nyckeln", name)
    try:
        x5t = thumbprint(cert)
    except ValueError:
        raise TokenError(
            f"oauth2 {name}: {cfg.certificate_file} är inget PEM-certifikat", "config"
        ) from None
    claims = {
        "aud": token_url(cfg),
        "iss": cfg.client_id,
        "sub": cfg.client_id,
        "jti": str(uuid.uuid4()),
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + 600,
    }
    try:
        return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t})
    except (ValueError, TypeError, jwt.PyJWTError):
        raise TokenError(
            f"oauth2 {name}: {cfg.private_key_file} är ingen RSA-nyckel i PEM-format", "config"
        ) from None


def google_assertion(name: str, cfg: OAuth2Settings, user: str, now: float) -> tuple[str, str]:
    """(token URL, signed JWT) for the service account acting as `user` (domain-wide delegation)."""
    try:
        account = json.loads(_read(cfg.key_file, "nyckelfilen", name))
        email, private_key = account["client_email"], account["private_key"]
    except (ValueError, KeyError, TypeError):
        raise TokenError(
            f"oauth2 {name}: {cfg.key_file} är ingen nyckelfil för ett tjänstekonto (JSON)",
            "config",
        ) from None
    url = cfg.token_url or account.get("token_uri") or GOOGLE_TOKEN_URL
    claims = {
        "iss": email,
        "sub": user,
        "scope": scope(cfg),
        "aud": url,
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    headers = {"kid": account["private_key_id"]} if account.get("private_key_id") else None
    try:
        return url, jwt.encode(claims, private_key, algorithm="RS256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError):
        raise TokenError(
            f"oauth2 {name}: den privata nyckeln i {cfg.key_file} går inte att använda", "config"
        ) from None


def _explain(name: str, cfg: OAuth2Settings, error: str, description: str) -> str:
    """The token endpoint's refusal as one line saying what to fix."""
    code = description.split(":", 1)[0].strip() if description.startswith("AADSTS") else ""
    where = f"oauth2 {name}"
    if code in ("AADSTS90002", "AADSTS900023", "AADSTS90013") or (
        "tenant" in description.lower() and ("not found" in description.lower())
    ):
        return (
            f"{where}: tenant {cfg.tenant or token_url(cfg)!r} finns inte ({code or error}); "
            "ange katalogens domän eller Directory (tenant) ID från appregistreringen"
        )
    if code == "AADSTS700016":
        return (
            f"{where}: appen {cfg.client_id} finns inte i tenant {cfg.tenant!r} ({code}); "
            "kontrollera client_id och tenant"
        )
    if error == "invalid_client":
        tag = f"invalid_client, {code}" if code else "invalid_client"
        if cfg.provider == "microsoft" and cfg.private_key_file and not cfg.client_secret_env:
            return (
                f"{where}: certifikatet godtogs inte ({tag}); "
                "ladda upp certifikatet under Certificates & secrets i appregistreringen"
            )
        expired = " (den har gått ut)" if code == "AADSTS7000222" else ""
        return (
            f"{where}: klienthemligheten i {cfg.client_secret_env or 'konfigurationen'} godtogs "
            f"inte{expired} ({tag}); skapa en ny under "
            "Certificates & secrets och lägg den i miljövariabeln"
        )
    if error == "invalid_scope":
        return f"{where}: scope {scope(cfg)!r} godtogs inte (invalid_scope)"
    if cfg.provider == "google" and error in ("unauthorized_client", "access_denied"):
        return (
            f"{where}: tjänstekontot får inte agera som brevlådan ({error}); ge det "
            f"domänövergripande delegering med scope {scope(cfg)} i Google Admin"
        )
    if error == "invalid_grant" and cfg.provider == "google":
        return (
            f"{where}: Google nekade ({error}); finns användaren, och är nyckeln giltig? "
            f"{description[:120]}"
        )
    return (
        f"{where}: tokenservern nekade ({error}{': ' + description[:160] if description else ''})"
    )


class _Deadline:
    """The whole token request's time limit: at the deadline the request's sockets are shut
    down, so a server that answers a byte at a time cannot keep a read waiting (each read alone
    keeps to the socket timeout; their sum did not)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.001, self._ends - time.monotonic())

    def adopt(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


def _guarded(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    """`base` with every socket it opens (before TLS: the handshake counts too) under the
    deadline."""

    class Guarded(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            create = self._create_connection  # type: ignore[has-type]
            self._create_connection = lambda *a, **k: deadline.adopt(create(*a, **k))

    return Guarded


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    class HTTP(urllib.request.HTTPHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(_guarded(http_class, deadline), req, **kwargs)

    class HTTPS(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(_guarded(http_class, deadline), req, **kwargs)

    return urllib.request.build_opener(HTTP, HTTPS)


def _body(response: Any, name: str, url: str) -> bytes:
    """At most MAX_ANSWER_BYTES of an answer; a larger one is refused unread."""
    too_big = TokenError(
        f"oauth2 {name}: tokenservern {url} svarade med mer än {MAX_ANSWER_BYTES // 1000} kB",
        "network",
    )
    length = str(response.headers.get("Content-Length") or "").strip()
    if length.isdigit() and int(length) > MAX_ANSWER_BYTES:
        raise too_big
    data: bytes = response.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise too_big
    return data


def _post(name: str, cfg: OAuth2Settings, url: str, form: dict[str, str]) -> dict[str, Any]:
    """POST `form`; the whole exchange (connect, TLS, headers, body) within timeout_seconds and
    at most MAX_ANSWER_BYTES of answer."""
    with _Deadline(cfg.timeout_seconds) as deadline:
        try:
            return _exchange(name, cfg, url, form, deadline)
        except TokenError:
            if deadline.expired:
                raise _late(name, cfg, url) from None
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            if deadline.expired:
                raise _late(name, cfg, url) from None
            reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            raise TokenError(
                f"oauth2 {name}: kan inte nå tokenservern {url} ({reason})", "network"
            ) from None


def _late(name: str, cfg: OAuth2Settings, url: str) -> TokenError:
    return TokenError(
        f"oauth2 {name}: tokenservern {url} svarade inte inom {cfg.timeout_seconds:g} s "
        "(timeout_seconds)",
        "network",
    )


def _exchange(
    name: str, cfg: OAuth2Settings, url: str, form: dict[str, str], deadline: _Deadline
) -> dict[str, Any]:
    body = urllib.parse.urlencode(form).encode("ascii")
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with _opener(deadline).open(request, timeout=deadline.remaining()) as response:
            data = json.loads(_body(response, name, url) or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                data = json.loads(_body(exc, name, url) or b"{}")
            except (ValueError, http.client.HTTPException, OSError):
                if deadline.expired:
                    raise
                data = {}
        if not isinstance(data, dict) or "error" not in data:
            raise TokenError(
                f"oauth2 {name}: tokenservern {url} svarade HTTP {exc.code}", "network"
            ) from None
        description = " ".join(str(data.get("error_description") or "").split())
        raise TokenError(_explain(name, cfg, str(data["error"]), description)) from None
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        raise TokenError(f"oauth2 {name}: tokenservern {url} gav ingen access_token", "network")
    return data


def _from_answer(data: dict[str, Any], now: float) -> Token:
    try:
        lifetime = float(data.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600.0
    return Token(str(data["access_token"]), now + lifetime, lifetime)


class _Overflow(Exception):
    """token_command printed more than MAX_ANSWER_BYTES."""


def _bounded_run(argv: list[str], seconds: float) -> subprocess.CompletedProcess[bytes]:
    """subprocess.run with capture_output, but stopped (killed) as soon as either stream passes
    MAX_ANSWER_BYTES: a token is a few kB, and capture_output kept all a command printed."""
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        caught: dict[str, bytearray] = {"out": bytearray(), "err": bytearray()}
        overflow = threading.Event()

        def drain(stream: Any, key: str) -> None:
            while chunk := stream.read1(65536):
                if overflow.is_set():
                    continue  # killed: read to the end so the pipe closes
                caught[key] += chunk
                if len(caught[key]) > MAX_ANSWER_BYTES:
                    overflow.set()
                    proc.kill()

        readers = [
            threading.Thread(target=drain, args=(proc.stdout, "out"), daemon=True),
            threading.Thread(target=drain, args=(proc.stderr, "err"), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            code = proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        finally:
            for reader in readers:
                reader.join(timeout=5)
        if overflow.is_set():
            raise _Overflow
        return subprocess.CompletedProcess(argv, code, bytes(caught["out"]), bytes(caught["err"]))


def _run_command(name: str, cfg: OAuth2Settings, now: float) -> Token:
    try:
        done = _bounded_run(shlex.split(cfg.token_command), cfg.timeout_seconds)
    except _Overflow:
        raise TokenError(
            f"oauth2 {name}: token_command skrev mer än {MAX_ANSWER_BYTES // 1000} kB", "config"
        ) from None
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise TokenError(
            f"oauth2 {name}: token_command kunde inte köras ({exc})", "config"
        ) from None
    out = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not out:
        # stderr may help; stdout may hold a token and is never shown.
        err = " ".join(done.stderr.decode("utf-8", "replace").split())[:160]
        raise TokenError(
            f"oauth2 {name}: token_command slutade med status {done.returncode} "
            f"utan token{': ' + err if err else ''}"
        )
    if out.startswith("{"):
        try:
            return _from_answer(json.loads(out), now)
        except (ValueError, KeyError):
            pass
    return Token(out.splitlines()[0].strip(), now + COMMAND_TOKEN_SECONDS, COMMAND_TOKEN_SECONDS)


def fetch_token(name: str, cfg: OAuth2Settings, user: str, now: float | None = None) -> Token:
    """Ask the provider for a new token (for `user` where the provider needs one)."""
    now = time.time() if now is None else now
    if cfg.token_command:
        return _run_command(name, cfg, now)
    if cfg.provider == "google":
        url, assertion = google_assertion(name, cfg, user, now)
        return _from_answer(
            _post(name, cfg, url, {"grant_type": JWT_BEARER, "assertion": assertion}), now
        )
    form = {"grant_type": "client_credentials", "client_id": cfg.client_id, "scope": scope(cfg)}
    if cfg.provider == "microsoft" and cfg.private_key_file and not cfg.client_secret_env:
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = client_assertion(name, cfg, now)
    else:
        form["client_secret"] = _secret(name, cfg)
    return _from_answer(_post(name, cfg, token_url(cfg), form), now)


def cache_user(cfg: OAuth2Settings, user: str) -> str:
    """App-only tokens serve every mailbox; Google's are per mailbox (`sub`)."""
    return user if cfg.provider == "google" and not cfg.token_command else ""


class TokenCache:
    """Tokens in memory until shortly before they expire; one fetch at a time per credential."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        fetch: Callable[[str, OAuth2Settings, str], Token] | None = None,
    ) -> None:
        self.clock = clock
        self._fetch = fetch or (lambda n, c, u: fetch_token(n, c, u, self.clock()))
        self._tokens: dict[tuple[str, str], Token] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def token(self, name: str, cfg: OAuth2Settings, user: str, renew: bool = False) -> str:
        """A valid token; `renew` after the server refused the one we had."""
        key = (name, cache_user(cfg, user))
        with self._lock(key):
            held = self._tokens.get(key)
            now = self.clock()
            if held is not None and not renew:
                margin = min(RENEW_MARGIN_SECONDS, held.lifetime / 5)
                if now < held.expires_at - margin:
                    return held.value
            self._tokens.pop(key, None)
            fresh = self._fetch(name, cfg, user)
            self._tokens[key] = fresh
            return fresh.value

    def forget(self, name: str, cfg: OAuth2Settings, user: str) -> None:
        self._tokens.pop((name, cache_user(cfg, user)), None)

    def clear(self) -> None:
        self._tokens.clear()


# One cache per process: the service's poll jobs and the SMTP sender share app-only tokens.
CACHE = TokenCache()
