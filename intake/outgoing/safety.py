"""Making text that came from senders or attachments safe to put into our mail.

Everything here is pure. Names, titles and subjects from outside are reduced to one line of
printable text before they reach a header, and the message ids we echo in In-Reply-To/References
must look like message ids, so nothing a sender writes can add or split a header.
"""

from __future__ import annotations

import re
import unicodedata
from email.headerregistry import Address
from email.utils import getaddresses

# Control characters (C0, DEL, C1) and the Unicode line/paragraph separators that some mail
# readers treat as line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")
_SPACES = re.compile(r"\s+")
# An RFC 5322 msg-id in its common dot-atom form; anything else is dropped, not repaired.
_MSG_ID = re.compile(r"<[!#-'*+\-/-9=?A-Z^-~.]{1,200}@[!#-'*+\-/-9=?A-Z^-~.\[\]]{1,200}>")
_ADDR_SPEC = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
MAX_REFERENCES = 10


def one_line(text: str | None, limit: int = 200) -> str:
    """Printable single-line text: control characters become spaces, runs of space one space.

    "=?" is broken up so that text we copy from a sender can never be read back as an RFC 2047
    encoded-word (which a mail reader would decode, possibly into something that looks like a
    header); the result is clipped to `limit` characters with an ellipsis.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.replace("=?", "= ?").replace("?=", "? =")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def message_id_or_none(value: str | None) -> str | None:
    """`value` when it is exactly one msg-id (`<left@right>`, surrounding space allowed)."""
    if not value:
        return None
    value = value.strip()
    return value if _MSG_ID.fullmatch(value) else None


def references_chain(references: str | None, answered: str | None) -> str | None:
    """References for a reply: the valid ids of the original's References plus its own id.

    Kept to the last MAX_REFERENCES ids (the first, the thread's root, is always kept), as
    RFC 5322 3.6.4 allows, so a long or hostile chain cannot make our header huge.
    """
    ids = _MSG_ID.findall(references or "")
    if answered:
        ids.append(answered)
    unique: list[str] = []
    for item in ids:
        if item not in unique:
            unique.append(item)
    if not unique:
        return None
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return " ".join(unique)


def clean_address(value: str | None) -> str | None:
    """A plain ASCII addr-spec, lower-cased domain, or None when `value` is not exactly that.

    We answer only plain addresses: a display name, a group, a second address or a control
    character makes the value unusable rather than something to guess from.
    """
    if not value or _CONTROL.search(value):
        return None
    value = value.strip()
    if len(value) > 254 or not _ADDR_SPEC.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def address_from_header(value: str | None) -> str | None:
    """The single address in a From/Reply-To header value, cleaned; None if not exactly one."""
    if not value or "\r" in value or "\n" in value:
        return None
    pairs = [pair for pair in getaddresses([value]) if pair[1]]
    if len(pairs) != 1:
        return None
    return clean_address(pairs[0][1])


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def header_name_ok(name: str) -> bool:
    return bool(_HEADER_NAME.match(name))


def plain_address(addr_spec: str, display_name: str = "") -> Address:
    """An Address object; the email package quotes or encodes the display name itself."""
    local, _, domain = addr_spec.rpartition("@")
    return Address(display_name=one_line(display_name, 78), username=local, domain=domain)
