"""OAuth2 fixtures: a loopback token endpoint, Dovecot with its oauth2 passdb, credentials."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intake.auth.tokens import CACHE
from tests.intake.conftest import dovecot  # noqa: F401 - the shared password Dovecot
from tests.service.conftest import smtp  # noqa: F401 - a plain aiosmtpd per test
from tests.support.dovecot import DovecotServer, OAuth2Passdb
from tests.support.oauth2 import ISSUER, Client, TokenStub, hs256_key_file_content
from tests.support.smtp import OAuthHandler, SmtpServer


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Each test starts without cached tokens (the cache is one per process)."""
    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture
def oauth_smtp(stub: TokenStub) -> Iterator[SmtpServer]:
    """aiosmtpd taking AUTH XOAUTH2 with the stub's tokens."""
    server = SmtpServer(handler=OAuthHandler(validate=stub.valid_email))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def imapclient_log_level() -> Iterator[None]:
    """`intake --trace` sets the imapclient logger's level for the process: undo it."""
    yield
    logging.getLogger("imapclient").setLevel(logging.NOTSET)


@pytest.fixture(scope="session")
def stub() -> Iterator[TokenStub]:
    server = TokenStub()
    server.start()
    yield server
    server.stop()


def start_dovecot(passdb: OAuth2Passdb, **kwargs: Any) -> tuple[DovecotServer, Path]:
    # Not under pytest's tmp: Dovecot serves mail as nobody, who cannot enter root's folders.
    root = Path(tempfile.mkdtemp(prefix="casefile-dovecot-oauth-"))
    root.chmod(0o755)
    server = DovecotServer(root, passdb, **kwargs)
    server.start()
    return server, root


@pytest.fixture(scope="session")
def dovecot_jwt(stub: TokenStub) -> Iterator[DovecotServer]:
    """Tokens checked by Dovecot itself (JWT, HS256); passwords work too."""
    server, root = start_dovecot(OAuth2Passdb(ISSUER, hs256_key_file_content(stub)))
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot_introspect(stub: TokenStub) -> Iterator[DovecotServer]:
    """Tokens checked by asking the stub (so a test can revoke one); OAuth2 only.

    One per test: Dovecot delays logins after failures from the same address.
    """
    server, root = start_dovecot(
        OAuth2Passdb(ISSUER, introspection_url=stub.introspect_url),
        password_login=False,
        token_for=lambda user: stub.mint(user),
    )
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def credential(stub: TokenStub, mailbox: str, secret: str | None = None) -> dict[str, Any]:
    """An [oauth2.NAME] section for a new app in the stub that may reach `mailbox`."""
    client_id = str(uuid.uuid4())
    real = secret or uuid.uuid4().hex
    stub.clients[client_id] = Client(secret=real, mailbox=mailbox)
    env = f"TEST_OAUTH2_SECRET_{client_id[:8].upper()}"
    os.environ[env] = real
    return {
        "provider": "microsoft",
        "tenant": stub.tenant,
        "token_url": stub.microsoft_url,
        "client_id": client_id,
        "client_secret_env": env,
    }


def oauth_box(server: DovecotServer, username: str, name: str, cred: str) -> dict[str, Any]:
    return {
        "name": name,
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "username": username,
        "auth": "oauth2",
        "oauth2": cred,
        "timeout_seconds": 20,
    }
