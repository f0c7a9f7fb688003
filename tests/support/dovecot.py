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


class DovecotServer:
    def __init__(self, root: Path) -> None:
        self.root = root
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
        conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{self.root}/mail/%u
mail_uid = nobody
mail_gid = nogroup
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
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
    port = {self.tls_port}
    ssl = yes
  }}
}}
service auth {{
  user = root
}}
""")
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

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None
