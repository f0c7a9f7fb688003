"""Handing one stored message to the next system: an SMTP server, or a folder of .eml files.

A transport says what happened in one of three ways, because the outbox must tell them apart:
it returns (the mail was accepted), raises TemporaryFailure (not accepted, try later),
PermanentFailure (refused for good: a 5xx answer), or UncertainDelivery (the connection broke
while the message itself was being transferred, so the server may or may not have it).

One protocol, kept whole: the delivery contract above and the SMTP dialogue that keeps it
(login, the session's deadline, the reply codes mapped to the three failures) are one piece;
FolderTransport is its short twin under the same contract.
"""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from casefile.atomic import write_atomic
from casefile.config import OAuth2Settings, SmtpSettings
from intake.auth import explain
from intake.auth.backoff import SMTP_KEY, LoginBackoff
from intake.auth.sasl import xoauth2_base64
from intake.auth.tokens import CACHE, TokenCache, TokenError
from intake.outgoing.delivery import DeliveryRecord


class DeliveryError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryFailure(DeliveryError):
    """Not delivered; safe to try again later."""

    # True when the server could not be reached at all: no point trying the next mail now.
    connection: bool = False


class ConnectionFailure(TemporaryFailure):
    connection = True


class PermanentFailure(DeliveryError):
    """Refused for good (5xx); retrying would only repeat the refusal."""


class UncertainDelivery(DeliveryError):
    """The server may have accepted the message; it must not be sent again automatically."""


class Transport(Protocol):
    def send(self, raw: bytes, sender: str, recipient: str, key: str) -> None: ...

    def login_waiting(self) -> str | None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Transport: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def _reply_text(resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else resp
    return " ".join(text.split())[:300]


def _by_code(code: int, what: str, resp: bytes | str) -> DeliveryError:
    message = f"{what}: {code} {_reply_text(resp)}"
    if 500 <= code < 600:
        return PermanentFailure(message, code)
    return TemporaryFailure(message, code)


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Certificate and host name checks are always on; ca_file adds an internal CA."""
    return ssl.create_default_context(cafile=settings.ca_file or None)


_AUTH_METHODS = ("CRAM-MD5", "PLAIN", "LOGIN")  # smtplib.SMTP.login's order


def _login(smtp: smtplib.SMTP, host: str, username: str, password: str) -> None:
    """AUTH, also with a non-ASCII password: smtplib only encodes ASCII, so send PLAIN in UTF-8.
    The caller has said EHLO."""
    if (username + password).isascii():
        _login_ascii(smtp, host, username, password)
        return
    if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPAuthenticationError(504, b"AUTH PLAIN is not offered")
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, resp = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def _login_ascii(smtp: smtplib.SMTP, host: str, username: str, password: str) -> None:
    """smtplib.SMTP.login's loop over the offered methods, except that a server hanging up
    after refusing one is reported as the refusal, which is what the operator must fix, and
    not as a broken line (smtplib would go on to the next method and fail on the socket)."""
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    usable = [m for m in _AUTH_METHODS if m in offered]
    if not usable:
        raise LoginFailure(_no_login_offered(smtp, host, offered))
    smtp.user, smtp.password = username, password
    refused: smtplib.SMTPAuthenticationError | None = None
    for method in usable:
        try:
            smtp.auth(method, getattr(smtp, "auth_" + method.lower().replace("-", "_")))
            return
        except smtplib.SMTPAuthenticationError as exc:
            refused = exc
        except smtplib.SMTPServerDisconnected:
            if refused is None:
                raise
            break
    assert refused is not None
    raise refused


def _no_login_offered(smtp: smtplib.SMTP, host: str, offered: list[str]) -> str:
    """The one line for a server that offers no AUTH method we can use (smtplib's own words
    were English and read as a broken connection)."""
    if offered:
        return (
            f"SMTP-servern {host} erbjuder bara AUTH {' '.join(offered)}, som casefile inte kan"
            " (PLAIN, LOGIN, CRAM-MD5 eller XOAUTH2 behövs)"
        )
    if isinstance(smtp.sock, ssl.SSLSocket):
        return (
            f"SMTP-servern {host} erbjuder ingen inloggning (AUTH): "
            "ta bort [smtp] username om servern inte kräver inloggning"
        )
    # The usual cause: a submission port that offers AUTH only after STARTTLS.
    return (
        f"SMTP-servern {host} erbjuder ingen inloggning (AUTH) utan TLS: "
        'sätt [smtp] security till "starttls" eller "ssl"'
    )


class ClosedOnExit:
    """A transport used as a context manager: `with transport:` closes it at the end."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LoginFailure(ConnectionFailure):
    """SMTP AUTH refused (or no token): the operator must act; the mail waits in the queue."""


def _oauth2_login(
    smtp: smtplib.SMTP, settings: SmtpSettings, cfg: OAuth2Settings, tokens: TokenCache
) -> None:
    """AUTH XOAUTH2; a refused token is fetched anew once, so at most two AUTH exchanges."""
    user = settings.username or ""
    if "xoauth2" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise LoginFailure(f"SMTP-servern {settings.host} erbjuder inte AUTH XOAUTH2")
    code, resp = 0, b""
    for attempt in range(2):
        try:
            token = tokens.token(settings.oauth2, cfg, user, renew=attempt > 0)
        except TokenError as exc:
            if exc.kind == "network":
                raise ConnectionFailure(str(exc)) from None
            raise LoginFailure(str(exc)) from None
        code, resp = smtp.docmd("AUTH", "XOAUTH2 " + xoauth2_base64(user, token))
        del token
        if code == 334:
            # The error comes as a challenge (base64 JSON); an empty line gets the final reply.
            code, resp = smtp.docmd("")
        if code == 235:
            return
    raise LoginFailure(explain.smtp_refused(code, _reply_text(resp), cfg, user, settings.host))


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


class _Cutter:
    """Lets the session deadline shut the connection down from another thread at any point:
    TCP connect, greeting, TLS handshake, AUTH or DATA. It keeps a duplicate of the socket as
    created (before any TLS wrapping, which detaches the original object): shutdown() acts on
    the connection, so shutting down the duplicate ends every read on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._expired = False

    def start(self) -> None:
        with self._lock:
            self._expired = False

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._release()
            self._sock = sock.dup()
            if self._expired:  # connected only after the deadline: end it at once
                self._shutdown()

    @property
    def expired(self) -> bool:
        return self._expired

    def cut(self) -> None:
        with self._lock:
            self._expired = True
            self._shutdown()

    def release(self) -> None:
        with self._lock:
            self._release()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def _release(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


class _Smtp(smtplib.SMTP):
    """smtplib.SMTP that hands its socket to a _Cutter as soon as it exists."""

    def __init__(self, *args: Any, cutter: _Cutter, **kwargs: Any) -> None:
        self._cutter = cutter
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # Not in typeshed, but part of smtplib since Python 2 (SMTP_SSL overrides it too).
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self._cutter.attach(sock)
        return sock

    def close(self) -> None:
        try:
            super().close()
        finally:
            # The duplicate would keep the connection open after the socket is closed.
            self._cutter.release()


class _SmtpSsl(smtplib.SMTP_SSL, _Smtp):
    # MRO: SMTP_SSL._get_socket wraps what _Smtp._get_socket attached, so a dripped TLS
    # handshake can be cut too.
    def __init__(self, *args: Any, cutter: _Cutter, **kwargs: Any) -> None:
        self._cutter = cutter
        smtplib.SMTP_SSL.__init__(self, *args, **kwargs)


class SmtpTransport(ClosedOnExit):
    """One SMTP connection, opened on first use and reused for the mails of one flush."""

    def __init__(
        self,
        settings: SmtpSettings,
        oauth2: OAuth2Settings | None = None,
        backoff: LoginBackoff | None = None,
        tokens: TokenCache = CACHE,
        deliveries: DeliveryRecord | None = None,
    ) -> None:
        self.settings = settings
        self._oauth2 = oauth2
        self._backoff = backoff
        self._tokens = tokens
        self._deliveries = deliveries
        self._smtp: smtplib.SMTP | None = None
        self._cutter = _Cutter()

    def login_waiting(self) -> str | None:
        """One line while a refused SMTP login backs off (nothing is tried then), else None."""
        if self._smtp is not None or self._backoff is None:
            return None
        waiting = self._backoff.waiting(SMTP_KEY)
        return f"SMTP: {waiting}" if waiting else None

    def _connect(self) -> smtplib.SMTP:
        waiting = self.login_waiting()
        if waiting:
            raise LoginFailure(waiting)
        try:
            return self._open()
        except LoginFailure as exc:
            if self._backoff is not None:
                self._backoff.failed(SMTP_KEY, str(exc))
            raise

    def check_login(self, reached: Callable[[str], None]) -> None:
        """Connect, secure and log in exactly as a delivery does, then end the session politely
        (`intake check`). `reached` is told each step passed: "connected", "tls" (when the
        line is secured), "login". A failure raises ConnectionFailure or LoginFailure with the
        delivery's own words; the login backoff is neither consulted nor fed."""
        _quietly_close(self._open(reached))

    def _open(self, reached: Callable[[str], None] | None = None) -> smtplib.SMTP:
        step = reached or (lambda _: None)
        s = self.settings
        try:
            smtp: smtplib.SMTP
            if s.security == "ssl":
                smtp = _SmtpSsl(
                    s.host,
                    s.port,
                    timeout=s.timeout_seconds,
                    context=tls_context(s),
                    cutter=self._cutter,
                )
            else:
                smtp = _Smtp(s.host, s.port, timeout=s.timeout_seconds, cutter=self._cutter)
            smtp.ehlo()
            step("connected")
            if s.security == "starttls":
                smtp.starttls(context=tls_context(s))
                smtp.ehlo()
            if s.security != "none":
                step("tls")
            if self._oauth2 is not None:
                _oauth2_login(smtp, s, self._oauth2, self._tokens)
            elif s.username:
                _login(smtp, s.host, s.username, s.password() or "")
            step("login")
            if self._backoff is not None:
                self._backoff.succeeded(SMTP_KEY)
        except ConnectionFailure:
            # A refused login, or no token: the connection itself was fine. Say so, not that
            # the server could not be reached, and end the session politely.
            _quietly_close(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _quietly_close(smtp)
            # A wrong password is the operator's to fix; the mail itself is fine: retry later.
            raise LoginFailure(
                explain.smtp_refused(
                    exc.smtp_code, _reply_text(exc.smtp_error), None, s.username or "", s.host
                )
            ) from None
        except smtplib.SMTPResponseException as exc:
            if self._cutter.expired:  # a cut line reads as a strange answer
                raise self._too_slow() from None
            raise ConnectionFailure(
                f"SMTP-servern svarade {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                exc.smtp_code,
            ) from None
        except Exception as exc:
            # Nothing has been sent before the connection is up, so any error here is safe to
            # retry; ssl.SSLCertVerificationError and refused connections are OSErrors.
            if self._cutter.expired:
                raise self._too_slow() from None
            raise ConnectionFailure(
                explain.with_tls_hint(
                    f"kunde inte ansluta till {s.host}:{s.port}: {exc or type(exc).__name__}",
                    exc,
                    "SMTP",
                    "smtp",
                    s.host,
                    s.port,
                )
            ) from None
        return smtp

    def _too_slow(self) -> ConnectionFailure:
        s = self.settings
        return ConnectionFailure(
            f"SMTP-servern {s.host}:{s.port} svarade inte inom tidsgränsen "
            f"({s.deadline_seconds:g} s)"
        )

    def send(self, raw: bytes, sender: str, recipient: str, key: str) -> None:
        with _recorded(self._deliveries), _session_deadline(self, self.settings.deadline_seconds):
            self._send(raw, sender, recipient, key)

    def _send(self, raw: bytes, sender: str, recipient: str, key: str) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            code, resp = smtp.mail(sender)
            if code != 250:
                self._reset()
                raise _by_code(code, "MAIL FROM", resp)
            code, resp = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise _by_code(code, "RCPT TO", resp)
        except DeliveryError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            # Nothing of the message has been sent yet: a retry cannot duplicate it.
            self._drop()
            raise ConnectionFailure(f"förbindelsen bröts före DATA: {exc}") from None
        try:
            code, resp = smtp.data(raw)
        except smtplib.SMTPDataError as exc:
            # The server answered, so we know it did not take the message.
            raise _by_code(exc.smtp_code, "DATA", exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise UncertainDelivery(f"förbindelsen bröts under DATA: {exc}") from None
        if code != 250:
            raise _by_code(code, "DATA", resp)

    def _reset(self) -> None:
        """End a refused transaction; if even that fails, start afresh with the next mail."""
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


@contextlib.contextmanager
def _recorded(deliveries: DeliveryRecord | None) -> Iterator[None]:
    """Count a failed delivery attempt, or reset the count after a delivered mail (for
    `intake status`). A refused login is the login backoff's to record, not a delivery's."""
    try:
        yield
    except LoginFailure:
        raise
    except DeliveryError as exc:
        if deliveries is not None:
            deliveries.failed(str(exc))
        raise
    if deliveries is not None:
        deliveries.succeeded()


@contextlib.contextmanager
def _session_deadline(transport: SmtpTransport, seconds: float) -> Iterator[None]:
    """An overall deadline for one mail's SMTP exchange, connecting and the greeting included.
    A server that drips one byte at a time never trips the per-read timeout; past the deadline
    the socket is shut down, so the read in progress fails and the usual paths apply (before
    DATA: try later; during DATA: uncertain)."""

    transport._cutter.start()
    timer = threading.Timer(seconds, transport._cutter.cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if transport._smtp is None:
            # The connection failed or was dropped: let its socket go now.
            transport._cutter.release()


def eml_name(key: str) -> str:
    """A file name from the outbox id and Message-ID: the same mail always gets the same name."""
    return _UNSAFE.sub("_", key).strip("._")[:200] + ".eml"


class FolderTransport(ClosedOnExit):
    """Writes each mail as an .eml file: for the demo, or for a system that picks files up.

    The file appears atomically (written to a temporary name in the same folder, flushed, then
    renamed), and its name comes from the outbox row, so a second run replaces the same file
    instead of adding a copy.
    """

    def __init__(self, folder: str | Path, deliveries: DeliveryRecord | None = None) -> None:
        self.folder = Path(folder)
        self._deliveries = deliveries

    def send(self, raw: bytes, sender: str, recipient: str, key: str) -> None:
        with _recorded(self._deliveries):
            self._write(raw, key)

    def _write(self, raw: bytes, key: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / eml_name(key), raw, prefix=".tmp-", suffix=".eml")
        except OSError as exc:
            raise ConnectionFailure(f"kunde inte skriva till {self.folder}: {exc}") from None

    def login_waiting(self) -> str | None:
        return None

    def close(self) -> None:
        return None
