"""Token providers against a loopback token endpoint: the grants, the cache, the errors."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from casefile.config import OAuth2Settings, settings_from_dict
from intake.auth.sasl import oauthbearer, xoauth2_base64
from intake.auth.tokens import TokenCache, TokenError, fetch_token
from tests.auth.conftest import credential
from tests.support.oauth2 import Client, TokenStub, google_service_account

# Microsoft's documented example (Authenticate an IMAP, POP or SMTP connection using OAuth).
MS_USER = "test@contoso.onmicrosoft.com"
MS_TOKEN = "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"
MS_XOAUTH2 = (
    "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0oz"
    "VmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="
)


def cfg(**values: object) -> OAuth2Settings:
    return settings_from_dict({"oauth2": {"x": values}}).oauth2["x"]


def test_xoauth2_reproduces_microsofts_example_byte_for_byte() -> None:
    """Given Microsoft's example user and token, then the SASL string is theirs exactly."""
    assert xoauth2_base64(MS_USER, MS_TOKEN) == MS_XOAUTH2


def test_oauthbearer_escapes_the_authzid() -> None:
    raw = oauthbearer("a,b=c@x.se", "T", "imap.x.se", 993)
    assert raw == b"n,a=a=2Cb=3Dc@x.se,\x01host=imap.x.se\x01port=993\x01auth=Bearer T\x01\x01"


def test_client_secret_grant_gives_a_token_for_the_mailbox(stub: TokenStub) -> None:
    """Given an app with a secret, when a token is fetched, then it carries the granted mailbox."""
    token = fetch_token("m365", cfg(**credential(stub, "kontakt@forbund.se")), "")
    assert stub.valid_email(token.value) == "kontakt@forbund.se"
    assert len(token.value) > 2500  # realistic size
    assert token.lifetime == stub.lifetime
    assert token.value not in repr(token)


def test_certificate_grant_signs_an_assertion_with_the_thumbprint(
    stub: TokenStub, tmp_path: Path
) -> None:
    """Given a certificate credential, then the stub accepts the assertion (signature, x5t)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casefile")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
    stub.clients["cert-app"] = Client(
        public_key_pem=key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        x5t=x5t,
        mailbox="kontakt@forbund.se",
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = cfg(
        provider="microsoft",
        tenant=stub.tenant,
        token_url=stub.microsoft_url,
        client_id="cert-app",
        certificate_file=str(tmp_path / "cert.pem"),
        private_key_file=str(tmp_path / "key.pem"),
    )
    token = fetch_token("m365", settings, "")
    assert stub.valid_email(token.value) == "kontakt@forbund.se"
    # The same key with another thumbprint is refused: the x5t is what is checked.
    stub.clients["cert-app"].x5t = "wrong"
    with pytest.raises(TokenError, match="certifikatet godtogs inte"):
        fetch_token("m365", settings, "")


def test_google_service_account_acts_as_the_mailbox(stub: TokenStub, tmp_path: Path) -> None:
    """Given a delegated service account, then the token is for `sub` = the mailbox."""
    key_file = google_service_account(
        stub, tmp_path / "sa.json", "casefile@forbund.iam.gserviceaccount.com", "kontakt@forbund.se"
    )
    settings = cfg(provider="google", key_file=str(key_file))
    token = fetch_token("gw", settings, "kontakt@forbund.se")
    assert stub.valid_email(token.value) == "kontakt@forbund.se"
    with pytest.raises(TokenError, match="domänövergripande delegering"):
        fetch_token("gw", settings, "annan@forbund.se")


def test_token_command_prints_the_token(tmp_path: Path) -> None:
    script = tmp_path / "tok.py"
    script.write_text("print('tok-123')\n")
    settings = cfg(provider="generic", token_command=f"{sys.executable} {script}")
    assert fetch_token("cmd", settings, "x").value == "tok-123"
    failing = cfg(provider="generic", token_command=f"{sys.executable} -c 'raise SystemExit(3)'")
    with pytest.raises(TokenError, match="status 3"):
        fetch_token("cmd", failing, "x")


def test_bad_secret_names_the_client_secret_and_its_variable(stub: TokenStub) -> None:
    """Given a wrong secret, then one line names the client secret and where it comes from."""
    section = credential(stub, "kontakt@forbund.se")
    section["client_secret_env"] = "TEST_WRONG_SECRET"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEST_WRONG_SECRET", "not-the-secret")
        with pytest.raises(TokenError) as caught:
            fetch_token("m365", cfg(**section), "")
    message = str(caught.value)
    assert "klienthemligheten i TEST_WRONG_SECRET godtogs inte" in message
    assert "invalid_client" in message and "not-the-secret" not in message
    assert "\n" not in message


def test_wrong_tenant_is_named(stub: TokenStub) -> None:
    section = credential(stub, "kontakt@forbund.se")
    section["tenant"] = "fel.onmicrosoft.com"
    section["token_url"] = f"{stub.base_url}/fel.onmicrosoft.com/oauth2/v2.0/token"
    with pytest.raises(TokenError, match=r"tenant 'fel\.onmicrosoft\.com' finns inte"):
        fetch_token("m365", cfg(**section), "")


def test_unreachable_token_endpoint_is_a_network_fault() -> None:
    settings = cfg(
        provider="generic",
        token_url="http://127.0.0.1:9/token",
        client_id="a",
        client_secret_env="PATH",
    )
    with pytest.raises(TokenError) as caught:
        fetch_token("g", settings, "")
    assert caught.value.kind == "network"


def test_cache_keeps_a_token_until_shortly_before_expiry(stub: TokenStub) -> None:
    """Given a 1-hour token, five uses make one request; near expiry it is fetched again."""
    now = [1_000_000.0]
    cache = TokenCache(clock=lambda: now[0], fetch=lambda n, c, u: fetch_token(n, c, u, now[0]))
    settings = cfg(**credential(stub, "kontakt@forbund.se"))
    before = stub.requests
    first = {cache.token("m365", settings, "kontakt@forbund.se") for _ in range(5)}
    assert len(first) == 1 and stub.requests - before == 1
    now[0] += stub.lifetime - 60  # within the renewal margin
    cache.token("m365", settings, "kontakt@forbund.se")
    assert stub.requests - before == 2
    cache.token("m365", settings, "kontakt@forbund.se", renew=True)
    assert stub.requests - before == 3


def test_assertion_never_carries_the_secret(stub: TokenStub) -> None:
    """The token is a JWT from the stub; decoding it shows no client secret."""
    section = credential(stub, "kontakt@forbund.se", secret="very-secret-value")
    token = fetch_token("m365", cfg(**section), "").value
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "very-secret-value" not in json.dumps(claims)
