"""A real Dovecot IMAP server for the tests: started in a temporary folder on free ports.

Accounts are added by appending to its passwd-file, which Dovecot re-reads when it changes, so
every test can have a mailbox of its own. One listener is plain (security "none"), one is
implicit TLS with a self-signed certificate (for the certificate-verification tests).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

POOL_SIZE = 200
# Passwords tests ask for by value (AUTHENTICATE PLAIN carries UTF-8; LOGIN cannot).
SPECIAL_PASSWORDS = ("hemlig-åäö-ÅÄÖ",)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Account:
    server: DovecotServer
    username: str
    password: str

    def client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", port=self.server.port, ssl=False, timeout=30)
        if self.server.token_for is not None and not self.server.password_login:
            c.oauth2_login(self.username, self.server.token_for(self.username))
        else:
            c.plain_login(self.username, self.password)
        return c

    def append(
        self, raw: bytes, when: dt.datetime, folder: str = "INBOX", flags: tuple[bytes, ...] = ()
    ) -> None:
        with self.client() as c:
            c.append(folder, raw, flags=flags, msg_time=when)

    def create_folder(self, name: str) -> None:
        with self.client() as c:
            if not c.folder_exists(name):
                c.create_folder(name)

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            return list(c.search("ALL"))

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            data = c.fetch(uids, ["FLAGS"]) if uids else {}
            return {uid: tuple(v[b"FLAGS"]) for uid, v in data.items()}

    def mailbox_settings(self, name: str = "kontakt", **extra: object) -> dict[str, object]:
        env = f"TEST_IMAP_PW_{self.username.upper()}"
        os.environ[env] = self.password
        box: dict[str, object] = {
            "name": name,
            "host": "127.0.0.1",
            "port": self.server.port,
            "security": "none",
            "username": self.username,
            "password_env": env,
            "timeout_seconds": 20,
        }
        box.update(extra)
        return box


@dataclass
class OAuth2Passdb:
    """Dovecot's oauth2 passdb: tokens checked locally (JWT, HS256 key) or by introspection."""

    issuer: str
    hs256_key_b64: str | None = None  # local validation
    introspection_url: str | None = None
    mechanisms: str = "xoauth2 oauthbearer"

    def conf(self, root: Path) -> str:
        if self.introspection_url:
            body = (
                "introspection_mode = post\n"
                f"introspection_url = {self.introspection_url}\n"
                "force_introspection = yes\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
            )
        else:
            keys = root / "keys" / "default" / "HS256"
            keys.mkdir(parents=True, exist_ok=True)
            (keys / "default").write_text(self.hs256_key_b64 or "", encoding="ascii")
            body = (
                "introspection_mode = local\n"
                f"local_validation_key_dict = fs:posix:prefix={root}/keys/\n"
                "username_attribute = email\n"
            )
        (root / "dovecot-oauth2.conf.ext").write_text(
            body + f"issuers = {self.issuer}\n", encoding="utf-8"
        )
        return f"""
passdb {{
  driver = oauth2
  mechanisms = {self.mechanisms}
  args = {root}/dovecot-oauth2.conf.ext
}}
"""


class DovecotServer:
    def __init__(
        self,
        root: Path,
        oauth2: OAuth2Passdb | None = None,
        password_login: bool = True,
        token_for: Callable[[str], str] | None = None,
        tls: bool = True,
        extra_conf: str = "",
    ) -> None:
        """`oauth2` adds XOAUTH2/OAUTHBEARER; without `password_login` only those are offered
        (the test accounts then append with a token from `token_for`). Without `tls` there is
        no STARTTLS and no TLS port (an old server, or the wrong one). `extra_conf` is added to
        dovecot.conf as written (say, an `imap_capability` without IDLE)."""
        self.tls = tls
        self.extra_conf = extra_conf
        self.root = root
        self.oauth2 = oauth2
        self.password_login = password_login
        self.token_for = token_for
        self.port = free_port()
        self.tls_port = free_port()
        self.passwd = root / "passwd"
        self.cert = root / "cert.pem"
        self.key = root / "key.pem"
        self.process: subprocess.Popen[bytes] | None = None
        self._pool: list[tuple[str, str]] = []
        self._special: dict[str, str] = {}

    def start(self) -> None:
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed: run scripts/setup (apt dovecot-imapd)")
        for sub in ("mail", "home", "run", "state"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(self.key),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
        )
        lines = []
        for i in range(POOL_SIZE):
            name, secret = f"user{i:03d}", uuid.uuid4().hex
            self._pool.append((name, secret))
            lines.append(f"{name}:{{PLAIN}}{secret}::::::")
        for i, secret in enumerate(SPECIAL_PASSWORDS):
            self._special[secret] = f"special{i:02d}"
            lines.append(f"special{i:02d}:{{PLAIN}}{secret}::::::")
        self.passwd.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for sub in ("mail", "home"):
            shutil.chown(self.root / sub, "nobody", "nogroup")
        conf = self.root / "dovecot.conf"
        mechanisms = "plain login" if self.password_login else ""
        oauth2_passdb = ""
        if self.oauth2 is not None:
            mechanisms += " " + self.oauth2.mechanisms
            oauth2_passdb = self.oauth2.conf(self.root)
        password_passdb = (
            f"""
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
"""
            if self.password_login
            else ""
        )
        # Loopback trusted: refused-token tests get no growing login penalty.
        trusted = "login_trusted_networks = 127.0.0.0/8\n" if self.oauth2 else ""
        conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = {"yes" if self.tls else "no"}
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms.strip()}
{trusted}first_valid_uid = 1
mail_location = maildir:{self.root}/mail/%u
mail_uid = nobody
mail_gid = nogroup
{password_passdb}{oauth2_passdb}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={self.root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port if self.tls else 0}
    ssl = yes
  }}
}}
service auth {{
  user = root
}}
{self.extra_conf}""")
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start; see {self.root}/dovecot.log")

    def add_account(self, password: str | None = None, username: str | None = None) -> Account:
        """A mailbox of its own for one test, from the accounts written before start.

        Dovecot caches its passwd-file, so accounts added while it runs are not always seen
        at once: the pool is written up front, with the special passwords the tests use.
        """
        if password is not None:
            return Account(self, self._special[password], password)
        name, secret = self._pool.pop()
        return Account(self, name, secret)

    def kick(self, username: str) -> None:
        """Drop every IMAP connection of `username` (as a server restart or timeout would)."""
        subprocess.run(
            ["doveadm", "-c", str(self.root / "dovecot.conf"), "kick", username],
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None


def running_dovecot() -> Iterator[DovecotServer]:
    """A Dovecot for a test session (the body of the `dovecot` fixtures): started in a fresh
    folder, stopped and removed afterwards."""
    import tempfile

    # Not under pytest's tmp: Dovecot serves mail as nobody, who cannot enter root's 0700 folders.
    root = Path(tempfile.mkdtemp(prefix="casefile-dovecot-"))
    root.chmod(0o755)
    server = DovecotServer(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
