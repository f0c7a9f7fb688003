"""SASL initial responses for OAuth2 logins (IMAP AUTHENTICATE, SMTP AUTH).

XOAUTH2 is what Microsoft 365 and Google take; OAUTHBEARER (RFC 7628) is the standard one.
"""

from __future__ import annotations

import base64


def xoauth2(user: str, token: str) -> bytes:
    """The XOAUTH2 initial response before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def xoauth2_base64(user: str, token: str) -> str:
    """As sent on the wire (e.g. `AUTH XOAUTH2 <this>`)."""
    return base64.b64encode(xoauth2(user, token)).decode("ascii")


def _saslname(value: str) -> str:
    # RFC 5801: ',' and '=' in the authzid are escaped.
    return value.replace("=", "=3D").replace(",", "=2C")


def oauthbearer(user: str, token: str, host: str, port: int) -> bytes:
    """The OAUTHBEARER (RFC 7628) initial response before base64."""
    return (
        f"n,a={_saslname(user)},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    ).encode()
