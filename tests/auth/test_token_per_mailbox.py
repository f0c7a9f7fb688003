"""Google service-account tokens are cached per mailbox (`sub`), not per credential."""

from __future__ import annotations

from pathlib import Path

from casefile.config import OAuth2Settings, settings_from_dict
from intake.auth.tokens import TokenCache
from tests.support.oauth2 import TokenStub, google_service_account


def google_credential(stub: TokenStub, tmp_path: Path, *mailboxes: str) -> OAuth2Settings:
    key_file = google_service_account(
        stub, tmp_path / "sa.json", "casefile-cache@forbund.iam.gserviceaccount.com", *mailboxes
    )
    return settings_from_dict(
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
