"""Google service-account tokens are cached per mailbox (`sub`), not per credential."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from casefile.config import OAuth2Settings, Settings
from intake.auth.tokens import TokenCache
from tests.support.oauth2 import TokenStub


def google_credential(stub: TokenStub, tmp_path: Path, *mailboxes: str) -> OAuth2Settings:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = "casefile-cache@forbund.iam.gserviceaccount.com"
    stub.google_accounts[account] = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stub.google_delegated.update(mailboxes)
    key_file = tmp_path / "sa.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": account,
                "private_key": pem,
                "private_key_id": "k1",
                "token_uri": stub.google_url,
            }
        )
    )
    return Settings.from_dict(
        {"oauth2": {"gw": {"provider": "google", "key_file": str(key_file)}}}
    ).oauth2["gw"]


def test_two_google_mailboxes_on_one_credential_get_each_their_own_token(
    stub: TokenStub, tmp_path: Path
) -> None:
    """Given one service account delegated for two mailboxes, when both ask the cache for a
    token (each twice), then each gets a token for itself, fetched once and then reused."""
    settings = google_credential(stub, tmp_path, "kontakt@forbund.se", "rapport@forbund.se")
    cache = TokenCache()
    before = stub.requests
    first = cache.token("gw", settings, "kontakt@forbund.se")
    second = cache.token("gw", settings, "rapport@forbund.se")
    assert stub.valid_email(first) == "kontakt@forbund.se"
    assert stub.valid_email(second) == "rapport@forbund.se"
    assert cache.token("gw", settings, "kontakt@forbund.se") == first
    assert cache.token("gw", settings, "rapport@forbund.se") == second
    assert stub.requests - before == 2
