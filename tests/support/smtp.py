"""A real SMTP server for tests: aiosmtpd in-process on 127.0.0.1 and a free port.

It records every accepted message, can be told to answer 4xx/5xx for the next N attempts (at
RCPT or at the end of DATA), can require AUTH and offer STARTTLS or implicit TLS, and can be
stopped and started again on the same port to play "the mail server is down".
"""

from __future__ import annotations

import base64
import collections
import email
import email.policy
import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

CERTS = Path(__file__).resolve().parent.parent / "outgoing" / "certs"
CA_FILE = CERTS / "ca.pem"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERTS / "server.pem", CERTS / "server.key")
    return context


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Failure:
    stage: str  # "RCPT" or "DATA"
    reply: str


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    attempts: int = 0
    # Called after a message is stored and before the 250 goes back (e.g. to kill the client).
    on_accept: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, code: int = 451, stage: str = "DATA") -> None:
        text = "Try again later" if code < 500 else "Mailbox unavailable"
        with self.lock:
            self.failures.extend(Failure(stage, f"{code} {text}") for _ in range(count))

    def _take(self, stage: str) -> str | None:
        with self.lock:
            if self.failures and self.failures[0].stage == stage:
                return self.failures.pop(0).reply
        return None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self._take("RCPT")
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
        reply = self._take("DATA")
        if reply is not None:
            return reply
        content = envelope.original_content or envelope.content
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(content))
        with self.lock:
            self.messages.append(received)
        if self.on_accept is not None:
            self.on_accept(received)
        return "250 Message accepted for delivery"


class BigLineSMTP(SMTP):
    """aiosmtpd with room for realistic OAuth2 tokens (2-4 KB on the AUTH line).

    The per-command limits dict reads the base class's value, so all three are set here.
    """

    line_length_limit = 16384
    command_size_limit = 16384
    command_size_limits: ClassVar[collections.defaultdict[str, int]] = collections.defaultdict(  # type: ignore[misc]
        lambda: 16384
    )


class BigLineController(Controller):
    def factory(self) -> SMTP:
        return BigLineSMTP(self.handler, **self.SMTP_kwargs)


# Microsoft's answers, word for word.
SMTP_AUTH_DISABLED = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
    "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information."
)
BASIC_AUTH_GONE = "535 5.7.30 Basic authentication is not supported for Client Submission."


@dataclass
class OAuthHandler(RecordingHandler):
    """Takes AUTH XOAUTH2: `validate(token)` returns the mailbox the token is good for."""

    validate: Callable[[str], str | None] = lambda token: None
    auth_disabled_for: set[str] = field(default_factory=set)
    auth_exchanges: int = 0
    token_lengths: list[int] = field(default_factory=list)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        with self.lock:
            self.auth_exchanges += 1
        blob = args[1] if len(args) > 1 else ""
        try:
            fields = base64.b64decode(blob).decode().split("\x01")
            user = fields[0].removeprefix("user=")
            token = fields[1].removeprefix("auth=Bearer ")
        except (ValueError, IndexError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 bad XOAUTH2")
        self.token_lengths.append(len(token))
        if user in self.auth_disabled_for:
            return AuthResult(success=False, handled=False, message=SMTP_AUTH_DISABLED)
        if self.validate(token) == user:
            return AuthResult(success=True, auth_data=user)
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://x/"})
        await server.challenge_auth(error)
        return AuthResult(
            success=False, handled=False, message="535 5.7.3 Authentication unsuccessful"
        )


@dataclass
class PasswordGoneHandler(RecordingHandler):
    """Refuses every password login as Microsoft 365 does once basic auth is off."""

    async def auth_PLAIN(self, server: Any, args: list[str]) -> AuthResult:
        return AuthResult(success=False, handled=False, message=BASIC_AUTH_GONE)

    async def auth_LOGIN(self, server: Any, args: list[str]) -> AuthResult:
        return AuthResult(success=False, handled=False, message=BASIC_AUTH_GONE)


class SmtpServer:
    """One test server; `start()`/`stop()` may be called repeatedly, the port stays the same."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        tls: str = "none",  # "none" | "starttls" | "ssl"
        handler: RecordingHandler | None = None,
    ) -> None:
        """`handler` may be an OAuthHandler (AUTH XOAUTH2, then AUTH is required)."""
        self.port = free_port()
        self.handler = handler or RecordingHandler()
        self.auth = auth
        self.tls = tls
        self.logins: list[str] = []
        self._controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.auth is None:
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        ok = (user, password) == self.auth
        if ok:
            self.logins.append(user)
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        controller: type[Controller] = Controller
        if isinstance(self.handler, OAuthHandler | PasswordGoneHandler):
            controller = BigLineController
            kwargs.update(auth_required=True, auth_require_tls=self.tls != "none")
        if self.auth is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.tls != "none",
            )
        if self.tls == "starttls":
            kwargs.update(tls_context=server_tls_context(), require_starttls=True)
        elif self.tls == "ssl":
            kwargs.update(ssl_context=server_tls_context())
        self._controller = controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def smtp_settings(self, **extra: Any) -> dict[str, object]:
        """The [smtp] section that points casefile at this server."""
        section: dict[str, object] = {
            "transport": "smtp",
            "host": "127.0.0.1",
            "port": self.port,
            "security": self.tls,
            "timeout_seconds": 5,
        }
        if self.tls != "none":
            section["ca_file"] = str(CA_FILE)
        section.update(extra)
        return section
