"""Delivery reports: what a report of delivery (a bounce) says it returns.

A delivery report (RFC 3464 multipart/report, a bare message/delivery-status) or any mail sent
with the null reverse-path (`Return-Path: <>`, which RFC 5321 §4.5.5 keeps for notifications)
is never a new registration, whatever it carries inside: a bounce of the office's own forwarded
mail carries the office's own report back. The pipeline links it to the case of a registered
document it returns (a file's sha256, our Message-ID, a case number in the returned subject).
Pure: a parsed message in, the returned headers out.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from email.message import Message

# Parts that hold the returned message: whole, or only its header block.
_RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers")
# A DSN is flat: the returned part is a child of the report (or of one multipart inside it).
_MAX_DEPTH = 2
# Enough for any real DSN; a crafted one with thousands of parts is not read further.
_MAX_RETURNED = 10


@dataclass(frozen=True)
class Returned:
    """The Message-IDs and subjects of the messages a report returns, as written."""

    message_ids: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()


def is_delivery_report(content_type: str, return_path: str) -> bool:
    """A report of delivery or other notification: never filed as a new registration."""
    null_sender = " ".join(return_path.split()) == "<>"
    return content_type in ("multipart/report", "message/delivery-status") or null_sender


def _headers_of(part: Message) -> Message | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return inner if isinstance(inner, Message) else None
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return None
    if not isinstance(data, bytes):
        return None
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    return parser.parsebytes(data)


def returned(msg: Message) -> Returned:
    """The returned messages' ids and subjects, top-down, at most `_MAX_RETURNED`."""
    ids: list[str] = []
    subjects: list[str] = []
    level: list[Message] = [msg]
    for _ in range(_MAX_DEPTH):
        children: list[Message] = []
        for part in level:
            payload = part.get_payload() if part.is_multipart() else None
            if isinstance(payload, list):
                children.extend(p for p in payload if isinstance(p, Message))
        for part in children[: _MAX_RETURNED * 4]:
            if part.get_content_type() not in _RETURNED_TYPES or len(ids) >= _MAX_RETURNED:
                continue
            headers = _headers_of(part)
            if headers is None:
                continue
            try:
                message_id, subject = headers.get("Message-ID"), headers.get("Subject")
            except Exception:
                continue  # a malformed returned header is no reference
            if message_id:
                ids.append(" ".join(str(message_id).split()))
            if subject:
                subjects.append(" ".join(str(subject).split()))
        level = [p for p in children if p.is_multipart()]
    return Returned(tuple(ids), tuple(subjects))
