"""How the SMTP transport reads each answer of a server, through a scripted loopback server.

The mutation run (scripts/mutate transport) showed these answers untested: a refused MAIL FROM,
251 to RCPT, a refused DATA command, the 4xx/5xx boundary, a refused greeting, a reply that is
not UTF-8 or too long, and AUTH PLAIN for a password with Swedish letters.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from casefile.config import OAuth2Settings, SmtpSettings
from intake.auth.tokens import TokenCache
from intake.outgoing.transport import (
    ConnectionFailure,
    DeliveryError,
    FolderTransport,
    LoginFailure,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    eml_name,
)
from tests.support.smtp import SmtpServer

RAW = b"From: a@b.test\r\nTo: c@d.test\r\nSubject: x\r\n\r\nHej\r\n"


class ScriptedSmtp:
    """Answers each SMTP verb as told (default: accept), records the AUTH lines it got."""

    def __init__(
        self,
        answers: dict[bytes, bytes],
        ehlo_extra: tuple[bytes, ...] = (),
        hang_up_after: bytes | None = None,
    ) -> None:
        self.answers = answers
        self.ehlo_extra = ehlo_extra
        self.hang_up_after = hang_up_after  # a verb after whose answer the line is closed
        self.auth_lines: list[bytes] = []
        self.delivered = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._session(conn.makefile("rwb"))

    def _session(self, stream: BinaryIO) -> None:
        def say(line: bytes) -> None:
            stream.write(line + b"\r\n")
            stream.flush()

        greeting = self.answers.get(b"GREETING", b"220 scripted.test")
        say(greeting)
        if not greeting.startswith(b"220"):
            return
        while line := stream.readline():
            verb = line.split()[0].upper() if line.split() else b""
            if verb == b"EHLO":
                say(b"250-scripted.test")  # smtplib takes the first line for the host name
                for extra in self.ehlo_extra:
                    say(b"250-" + extra)
                say(b"250 8BITMIME")
            elif verb == b"AUTH":
                self.auth_lines.append(line.strip())
                if not (answer := self.answers.get(b"AUTH", b"235 ok")):
                    return  # an empty answer: the line is closed without one
                say(answer)
                if self.hang_up_after == b"AUTH":
                    return
            elif verb == b"DATA":
                answer = self.answers.get(b"DATA", b"354 go ahead")
                say(answer)
                if answer.startswith(b"354"):
                    while (chunk := stream.readline()) and chunk != b".\r\n":
                        pass
                    self.delivered += 1
                    say(self.answers.get(b"END", b"250 queued"))
            elif verb == b"QUIT":
                say(b"221 bye")
                return
            else:
                say(self.answers.get(verb, b"250 ok"))

    def settings(self, **extra: object) -> SmtpSettings:
        values: dict[str, object] = {
            "transport": "smtp",
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "timeout_seconds": 5,
            "from_address": "kontakt@finsam.test",
        }
        values.update(extra)
        return SmtpSettings(**values)  # type: ignore[arg-type]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def scripted() -> Iterator[list[ScriptedSmtp]]:
    servers: list[ScriptedSmtp] = []
    yield servers
    for server in servers:
        server.close()


def _send(
    scripted: list[ScriptedSmtp], answers: dict[bytes, bytes], **extra: object
) -> DeliveryError | None:
    server = ScriptedSmtp(
        answers,
        tuple(extra.pop("ehlo_extra", ())),  # type: ignore[arg-type]
        extra.pop("hang_up_after", None),  # type: ignore[arg-type]
    )
    scripted.append(server)
    try:
        with SmtpTransport(server.settings(**extra)) as transport:
            transport.send(RAW, "kontakt@finsam.test", "c@d.test", "k")
    except DeliveryError as exc:
        return exc
    return None


@pytest.mark.parametrize(
    ("verb", "reply", "kind", "text"),
    [
        (b"MAIL", b"550 no such sender", PermanentFailure, "MAIL FROM: 550 no such sender"),
        (b"MAIL", b"451 later", TemporaryFailure, "MAIL FROM: 451 later"),
        (b"MAIL", b"500 syntax", PermanentFailure, "MAIL FROM: 500 syntax"),
        (b"MAIL", b"599 odd", PermanentFailure, "MAIL FROM: 599 odd"),
        (b"MAIL", b"499 odd", TemporaryFailure, "MAIL FROM: 499 odd"),
        # Not a 5xx answer: not refused for good, tried again later
        (b"MAIL", b"600 odd", TemporaryFailure, "MAIL FROM: 600 odd"),
        (b"RCPT", b"550 unknown user", PermanentFailure, "RCPT TO: 550 unknown user"),
        (b"DATA", b"554 no DATA now", PermanentFailure, "DATA: 554 no DATA now"),
        (b"DATA", b"451 DATA later", TemporaryFailure, "DATA: 451 DATA later"),
        (b"END", b"552 too big", PermanentFailure, "DATA: 552 too big"),
    ],
)
def test_each_refusal_says_which_step_and_code(
    scripted: list[ScriptedSmtp], verb: bytes, reply: bytes, kind: type, text: str
) -> None:
    error = _send(scripted, {verb: reply})
    assert type(error) is kind
    assert str(error) == text
    assert error is not None and error.code == int(reply[:3])
    assert scripted[0].delivered == 0 or verb == b"END"


def test_251_to_rcpt_is_accepted(scripted: list[ScriptedSmtp]) -> None:
    assert _send(scripted, {b"RCPT": b"251 will forward"}) is None
    assert scripted[0].delivered == 1


def test_a_reply_that_is_not_utf8_or_too_long_is_one_clipped_line(
    scripted: list[ScriptedSmtp],
) -> None:
    error = _send(scripted, {b"MAIL": b"550 f\xf6r  m\xe5nga\t" + b"x" * 400})
    assert isinstance(error, PermanentFailure)
    message = str(error)
    assert message.startswith("MAIL FROM: 550 f\ufffdr m\ufffdnga xxx")
    assert len(message) == len("MAIL FROM: 550 ") + 300


def test_a_refused_greeting_is_a_connection_failure(scripted: list[ScriptedSmtp]) -> None:
    error = _send(scripted, {b"GREETING": b"421 too busy"})
    assert type(error) is ConnectionFailure
    assert str(error) == "SMTP-servern svarade 421 too busy"
    assert error is not None and error.code == 421


def test_a_password_with_swedish_letters_goes_as_auth_plain_in_utf8(
    scripted: list[ScriptedSmtp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PW_H8", "hemlig-åäö")
    error = _send(
        scripted,
        {},
        ehlo_extra=(b"AUTH PLAIN LOGIN",),
        username="kontakt",
        password_env="TEST_SMTP_PW_H8",
    )
    assert error is None
    [line] = scripted[0].auth_lines
    verb, mechanism, token = line.split()
    assert (verb, mechanism) == (b"AUTH", b"PLAIN")
    assert base64.b64decode(token) == "\0kontakt\0hemlig-åäö".encode()


@pytest.mark.parametrize(
    ("ehlo", "answers", "text"),
    [
        ((b"AUTH LOGIN",), {}, "504 AUTH PLAIN is not offered"),
        ((), {}, "504 AUTH PLAIN is not offered"),
        ((b"AUTH PLAIN",), {b"AUTH": b"535 nope"}, "535 nope"),
    ],
)
def test_a_swedish_password_refused_or_without_plain_is_retried_later(
    scripted: list[ScriptedSmtp],
    monkeypatch: pytest.MonkeyPatch,
    ehlo: tuple[bytes, ...],
    answers: dict[bytes, bytes],
    text: str,
) -> None:
    monkeypatch.setenv("TEST_SMTP_PW_H8", "hemlig-åäö")
    error = _send(
        scripted, answers, ehlo_extra=ehlo, username="kontakt", password_env="TEST_SMTP_PW_H8"
    )
    # Not delivered and kept for later (the operator must fix the login): one line naming the
    # server's answer and what to check.
    assert type(error) is LoginFailure
    assert str(error) == (
        f"SMTP-inloggningen nekades ({text}): kontrollera användarnamn och lösenord"
    )
    assert scripted[0].delivered == 0


@pytest.mark.parametrize(
    ("password", "offered"),
    [
        ("hemlig", b"AUTH PLAIN"),
        ("hemlig-åäö", b"AUTH PLAIN"),
        ("hemlig", b"AUTH PLAIN LOGIN"),
        ("hemlig-åäö", b"AUTH PLAIN LOGIN"),
        ("hemlig", b"AUTH CRAM-MD5 LOGIN"),
    ],
)
def test_a_refused_login_on_a_server_that_hangs_up_is_still_a_login_failure(
    scripted: list[ScriptedSmtp], monkeypatch: pytest.MonkeyPatch, password: str, offered: bytes
) -> None:
    """Given a server that refuses AUTH and closes the line at once, then QUIT cannot be said,
    and the operator still reads the login refusal (not a broken connection), also when a
    second method was offered that could no longer be tried."""
    monkeypatch.setenv("TEST_SMTP_PW_H8", password)
    error = _send(
        scripted,
        {b"AUTH": b"535 5.7.8 bad credentials"},
        ehlo_extra=(offered,),
        hang_up_after=b"AUTH",
        username="kontakt",
        password_env="TEST_SMTP_PW_H8",
    )
    assert type(error) is LoginFailure
    assert str(error) == (
        "SMTP-inloggningen nekades (535 5.7.8 bad credentials): "
        "kontrollera användarnamn och lösenord"
    )


@pytest.mark.parametrize("password", ["hemlig", "hemlig-åäö"])
def test_a_line_closed_during_the_first_login_is_a_connection_failure(
    scripted: list[ScriptedSmtp], monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    """Given a server that closes the line at AUTH without answering, then nothing was refused:
    it is a broken connection (tried again later), not a login failure."""
    monkeypatch.setenv("TEST_SMTP_PW_C", password)
    error = _send(
        scripted,
        {b"AUTH": b""},
        ehlo_extra=(b"AUTH PLAIN LOGIN",),
        username="kontakt",
        password_env="TEST_SMTP_PW_C",
    )
    assert type(error) is ConnectionFailure
    assert re.fullmatch(
        r"kunde inte ansluta till 127\.0\.0\.1:\d+: Connection unexpectedly closed.*", str(error)
    ), str(error)
    assert len(scripted[0].auth_lines) == 1 and scripted[0].delivered == 0


def test_a_server_offering_only_methods_we_cannot_use_says_which(
    scripted: list[ScriptedSmtp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PW_G", "hemlig")
    error = _send(
        scripted,
        {},
        ehlo_extra=(b"AUTH GSSAPI NTLM",),
        username="kontakt",
        password_env="TEST_SMTP_PW_G",
    )
    assert type(error) is LoginFailure
    assert str(error) == (
        "SMTP-servern 127.0.0.1 erbjuder bara AUTH GSSAPI NTLM, som casefile inte kan"
        " (PLAIN, LOGIN, CRAM-MD5 eller XOAUTH2 behövs)"
    )
    assert scripted[0].auth_lines == [] and scripted[0].delivered == 0


@pytest.mark.parametrize(
    ("server_tls", "security", "text"),
    [
        # A submission port that offers AUTH only after STARTTLS, reached without TLS
        (
            "starttls",
            "none",
            "erbjuder ingen inloggning (AUTH) utan TLS: "
            'sätt [smtp] security till "starttls" eller "ssl"',
        ),
        # A server over TLS that takes mail without any login
        (
            "ssl",
            "ssl",
            "erbjuder ingen inloggning (AUTH): "
            "ta bort [smtp] username om servern inte kräver inloggning",
        ),
    ],
)
def test_a_server_offering_no_login_is_a_login_failure_that_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, server_tls: str, security: str, text: str
) -> None:
    """Given a username but a server (aiosmtpd) that offers no AUTH on this connection, then
    the operator reads which setting to change, in Swedish, and no mail is sent."""
    monkeypatch.setenv("TEST_SMTP_PW_T", "hemlig")
    auth = ("kontakt", "hemlig") if server_tls == "starttls" else None
    server = SmtpServer(auth=auth, tls=server_tls)
    server.start()
    try:
        section = server.smtp_settings(
            security=security, username="kontakt", password_env="TEST_SMTP_PW_T"
        )
        settings = SmtpSettings(**section)  # type: ignore[arg-type]
        with pytest.raises(LoginFailure) as caught, SmtpTransport(settings) as transport:
            transport.send(RAW, "kontakt@finsam.test", "c@d.test", "k")
        assert str(caught.value) == f"SMTP-servern 127.0.0.1 {text}"
        assert server.logins == [] and server.messages == []
    finally:
        server.stop()


@pytest.mark.parametrize("ehlo", [(b"AUTH PLAIN LOGIN",), ()])
def test_oauth2_on_a_server_without_xoauth2_says_so_and_fetches_no_token(
    scripted: list[ScriptedSmtp], ehlo: tuple[bytes, ...]
) -> None:
    server = ScriptedSmtp({}, ehlo)
    scripted.append(server)
    # A credential whose token command would fail loudly if it were ever run
    oauth2 = OAuth2Settings(provider="generic", token_command="false")
    settings = server.settings(auth="oauth2", oauth2="m365", username="kontakt@finsam.test")
    with pytest.raises(LoginFailure) as caught, SmtpTransport(settings, oauth2) as transport:
        transport.send(RAW, "kontakt@finsam.test", "c@d.test", "k")
    assert str(caught.value) == "SMTP-servern 127.0.0.1 erbjuder inte AUTH XOAUTH2"
    assert server.auth_lines == [] and server.delivered == 0


def test_oauth2_token_trouble_is_one_line_and_only_config_trouble_is_a_login_failure(
    scripted: list[ScriptedSmtp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a server offering XOAUTH2: a secret that is not set is the operator's to fix (a
    login failure, backed off); a token server that cannot be reached is a connection failure
    (tried again with the next flush). Each says which credential."""
    server = ScriptedSmtp({}, (b"AUTH XOAUTH2",))
    scripted.append(server)
    settings = server.settings(auth="oauth2", oauth2="m365", username="kontakt@finsam.test")
    monkeypatch.delenv("TEST_NO_SUCH_SECRET", raising=False)
    unset = OAuth2Settings(
        provider="microsoft", tenant="t", client_id="app", client_secret_env="TEST_NO_SUCH_SECRET"
    )
    with pytest.raises(ConnectionFailure) as caught:
        SmtpTransport(settings, unset, tokens=TokenCache()).send(RAW, "a@b.test", "c@d.test", "k")
    assert type(caught.value) is LoginFailure
    assert str(caught.value) == (
        "oauth2 m365: miljövariabeln TEST_NO_SUCH_SECRET med klienthemligheten är inte satt"
    )
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setenv("TEST_SOME_SECRET", "hemlig")
    unreachable = OAuth2Settings(
        provider="microsoft",
        token_url=f"http://127.0.0.1:{port}/token",
        client_id="app",
        client_secret_env="TEST_SOME_SECRET",
    )
    with pytest.raises(ConnectionFailure) as caught:
        SmtpTransport(settings, unreachable, tokens=TokenCache()).send(
            RAW, "a@b.test", "c@d.test", "k"
        )
    assert type(caught.value) is ConnectionFailure
    assert str(caught.value) == (
        f"oauth2 m365: kan inte nå tokenservern http://127.0.0.1:{port}/token "
        "([Errno 111] Connection refused)"
    )
    assert server.auth_lines == []


class Silent:
    """Accepts connections and never says a word (no greeting, no TLS handshake)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.mark.parametrize(("security", "reason"), [("none", "timed out"), ("ssl", "_ssl.c:")])
def test_a_silent_server_is_given_up_after_the_read_timeout(security: str, reason: str) -> None:
    """Given a server that accepts and then says nothing, a 1 s read timeout and a 30 s deadline,
    then the send gives up after about a second, saying it could not connect, and the mail is
    kept for later."""
    server = Silent()
    settings = SmtpSettings(
        transport="smtp",
        host="127.0.0.1",
        port=server.port,
        security=security,  # type: ignore[arg-type]
        timeout_seconds=1,
        deadline_seconds=30,
        from_address="kontakt@finsam.test",
    )
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionFailure) as caught, SmtpTransport(settings) as transport:
            transport.send(RAW, "kontakt@finsam.test", "c@d.test", "k")
    finally:
        server.close()
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert message.startswith(f"kunde inte ansluta till 127.0.0.1:{server.port}: ")
    assert reason in message and "timed out" in message


def test_eml_names_are_safe_stable_and_short(tmp_path: Path) -> None:
    assert eml_name("outbox-7-<abc.def@finsam.test>") == "outbox-7-_abc.def@finsam.test.eml"
    assert eml_name("._x y_.") == "x_y.eml"
    assert len(eml_name("a" * 500)) == 200 + len(".eml")
    assert eml_name("Xoutbox-7X") == "Xoutbox-7X.eml"
    folder = FolderTransport(tmp_path / "ut")
    folder.send(RAW, "a@b.test", "c@d.test", "outbox-7-<abc@finsam.test>")
    assert [p.name for p in (tmp_path / "ut").iterdir()] == ["outbox-7-_abc@finsam.test.eml"]


def test_the_folder_and_its_parents_are_made_on_first_use(tmp_path: Path) -> None:
    folder = tmp_path / "ut" / "till" / "diariet"
    FolderTransport(folder).send(RAW, "a@b.test", "c@d.test", "outbox-1")
    assert (folder / "outbox-1.eml").read_bytes() == RAW


def test_a_mail_is_written_to_a_hidden_temporary_name_beside_it_then_renamed(
    tmp_path: Path,
) -> None:
    """Given a folder where the mail's own name is taken by a folder, then the rename fails and
    the one-line error shows the temporary file: hidden (.tmp-), in the same folder, ending in
    .eml; it is removed, and the mail is kept for later."""
    folder = tmp_path / "ut"
    (folder / "outbox-1.eml").mkdir(parents=True)
    (folder / "outbox-1.eml" / "upptagen").write_text("x")
    with pytest.raises(ConnectionFailure) as caught:
        FolderTransport(folder).send(RAW, "a@b.test", "c@d.test", "outbox-1")
    pattern = (
        rf"kunde inte skriva till {re.escape(str(folder))}: \[Errno 21\] Is a directory: "
        rf"'{re.escape(str(folder))}/\.tmp-[a-z0-9_]+\.eml' -> "
        rf"'{re.escape(str(folder))}/outbox-1\.eml'"
    )
    assert re.fullmatch(pattern, str(caught.value)), str(caught.value)
    assert [p.name for p in folder.iterdir()] == ["outbox-1.eml"]


def test_a_write_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "ut"
    with pytest.raises(TypeError):
        FolderTransport(folder).send("inte bytes", "a@b.test", "c@d.test", "outbox-1")  # type: ignore[arg-type]
    assert list(folder.iterdir()) == []
