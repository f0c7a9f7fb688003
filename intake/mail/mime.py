"""Parse a raw message into what intake needs: a few headers and the attached files.

Attachments are collected from the whole MIME tree, including inside forwarded message/rfc822
parts, with RFC 2231 / RFC 2047 file names decoded by the standard library's policy.default.
Parsing never raises on odd mail: defects are recorded, not fatal.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

MAX_DEPTH = 10


@dataclass(frozen=True)
class AttachedFile:
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    in_reply_to: str | None
    references: str | None
    subject: str
    from_address: str | None
    from_name: str
    date_header: str | None
    headers: dict[str, str]
    content_type: str
    attachments: list[AttachedFile] = field(default_factory=list)

    @property
    def referenced_ids(self) -> list[str]:
        """Message-IDs this message answers, newest first."""
        ids: list[str] = []
        for value in (self.in_reply_to, self.references):
            for token in (value or "").replace(",", " ").split():
                token = token.strip()
                if token.startswith("<") and token.endswith(">") and token not in ids:
                    ids.append(token)
        return ids


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not stop intake
        raw = msg.get_all(name, failobj=[]) if hasattr(msg, "get_all") else []
        value = str(raw[0]) if raw else None
    if value is None:
        return None
    return " ".join(str(value).split())


def _address(msg: Message) -> tuple[str, str | None]:
    raw = _header(msg, "From") or ""
    name, addr = email.utils.parseaddr(raw)
    addr = addr.strip()
    if not addr or "@" not in addr or any(c in addr for c in "\r\n<>\"' "):
        return name, None
    return name, addr


def _is_attachment(part: Message) -> bool:
    if part.is_multipart():
        return False
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    # Inline parts with a file name or a document type are attachments too (Outlook, Apple Mail).
    if part.get_filename():
        return True
    return part.get_content_type() in DOCUMENT_TYPES


DOCUMENT_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
    "application/octet-stream",
}


def _walk(msg: Message, out: list[AttachedFile], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if msg.get_content_type() == "message/rfc822":
        payload = msg.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            _walk(inner, out, depth + 1)
        return
    if msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, Message):
                _walk(part, out, depth + 1)
        return
    if depth == 0 or not _is_attachment(msg):
        return
    try:
        data = msg.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        return
    try:
        filename = msg.get_filename()
    except Exception:
        filename = None
    out.append(AttachedFile(filename=filename, content_type=msg.get_content_type(), data=data))


def parse_message(raw: bytes) -> ParsedMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, addr = _address(msg)
    attachments: list[AttachedFile] = []
    _walk(msg, attachments, 0)
    interesting = (
        "Auto-Submitted",
        "Precedence",
        "List-Id",
        "List-Unsubscribe",
        "Return-Path",
        "X-Auto-Response-Suppress",
        "X-Loop",
        "X-Autoreply",
        "X-Autorespond",
        "Sender",
    )
    headers = {h.lower(): v for h in interesting if (v := _header(msg, h)) is not None}
    for key in msg:
        if key.lower().startswith("x-casefile") or (
            key.lower().startswith("x-") and "loop" in key.lower()
        ):
            value = _header(msg, key)
            if value is not None:
                headers[key.lower()] = value
    return ParsedMessage(
        message_id=_header(msg, "Message-ID"),
        in_reply_to=_header(msg, "In-Reply-To"),
        references=_header(msg, "References"),
        subject=_header(msg, "Subject") or "",
        from_address=addr,
        from_name=name,
        date_header=_header(msg, "Date"),
        headers=headers,
        content_type=msg.get_content_type(),
        attachments=attachments,
    )
