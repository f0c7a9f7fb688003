"""Turning rendered text into a complete RFC 5322 message (bytes) with our headers.

Headers are set only through the email package's header objects after the values have passed
`safety`: the subject and names become one line, the message ids we echo must be real msg-ids,
the recipient a plain addr-spec. The bodies are quoted-printable, so the stored message is 7-bit
and is sent byte for byte as it was stored.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
import uuid
from dataclasses import dataclass
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from casefile.config import Settings
from intake.outgoing.render import Rendered
from intake.outgoing.safety import (
    domain_of,
    header_name_ok,
    message_id_or_none,
    one_line,
    plain_address,
    references_chain,
)

SUBJECT_LIMIT = 140
FOLD_AT = 78  # RFC 5322 2.1.1: lines SHOULD be at most 78 characters


class _MessageIdList(BaseHeader):
    """In-Reply-To and References as mail programs thread on them: the ids as written, folded
    only between ids.

    The email package treats both as unstructured text and writes an id too long for one line
    (our own ids and Outlook's are 75-90 characters) as RFC 2047 encoded words, which no mail
    program decodes there, so the reply fell out of its thread. The ids have already passed
    `safety.references_chain` / `message_id_or_none`: ASCII, no whitespace inside, no CR/LF.
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["decoded"] = " ".join(value.split())
        kwds["parse_tree"] = None

    def fold(self, *, policy: email.policy.Policy) -> str:
        name = self.name
        lines = [f"{name}:"]
        for item in str(self).split():
            if len(lines[-1]) > len(name) + 1 and len(lines[-1]) + 1 + len(item) > FOLD_AT:
                lines.append("")
            lines[-1] += f" {item}"
        return policy.linesep.join(lines) + policy.linesep


def _policy() -> email.policy.EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    registry.map_to_type("in-reply-to", _MessageIdList)
    registry.map_to_type("references", _MessageIdList)
    return email.policy.SMTP.clone(header_factory=registry)


POLICY = _policy()


@dataclass(frozen=True)
class Threading:
    """What our mail answers; both None for mail that starts a conversation (reminders)."""

    in_reply_to: str | None = None
    references: str | None = None


@dataclass(frozen=True)
class Composed:
    message_id: str
    subject: str
    in_reply_to: str | None
    raw: bytes


def new_message_id(settings: Settings, kind: str) -> str:
    """A globally unique id in our own domain: the from_address's domain."""
    domain = domain_of(settings.smtp.from_address) or "localhost"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    return f"<casefile.{kind}.{stamp}.{uuid.uuid4().hex}@{domain}>"


def tagged_subject(reference: str | None, rendered_subject: str) -> str:
    """'[SFG 26-01.02] Kvittens: …': the number first, where no truncation can cut it."""
    text = one_line(rendered_subject, SUBJECT_LIMIT)
    return f"[{one_line(reference, 40)}] {text}" if reference else text


def thread_of(message_id: str | None, references: str | None) -> Threading:
    answered = message_id_or_none(message_id)
    return Threading(in_reply_to=answered, references=references_chain(references, answered))


def compose(
    settings: Settings,
    *,
    kind: str,
    recipient: str,
    reference: str | None,
    rendered: Rendered,
    threading: Threading,
    auto_submitted: str,
    now: dt.datetime,
) -> Composed:
    """The message for one outbox row. `recipient` must already be a clean addr-spec (or '')."""
    message_id = new_message_id(settings, kind)
    subject = tagged_subject(reference, rendered.subject)
    msg = EmailMessage(policy=POLICY)
    msg["From"] = plain_address(settings.smtp.from_address, settings.smtp.from_name)
    if recipient:
        msg["To"] = plain_address(recipient)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now.astimezone(settings.registry.zone))
    msg["Message-ID"] = message_id
    if threading.in_reply_to:
        msg["In-Reply-To"] = threading.in_reply_to
    if threading.references:
        msg["References"] = threading.references
    # RFC 3834: tell vacation responders and ticket systems not to answer us.
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    loop_header = settings.mail.loop_header
    if header_name_ok(loop_header):
        msg[loop_header] = settings.smtp.from_address
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return Composed(
        message_id=message_id,
        subject=subject,
        in_reply_to=threading.in_reply_to,
        raw=_unfold_after_name(msg.as_bytes()),
    )


_FOLD_AFTER_NAME = re.compile(rb"^([A-Za-z0-9-]+):\r\n (?=\S)", re.MULTILINE)


def _unfold_after_name(raw: bytes) -> bytes:
    """Join 'Subject:' CRLF ' value' into one line.

    The email package folds a 70-78 character value onto its own continuation line, which is
    legal, but some readers (Python's own parser among them) then show the value with a leading
    space. The joined line stays far below the 998-character limit of RFC 5322.
    """
    head, sep, body = raw.partition(b"\r\n\r\n")
    return _FOLD_AFTER_NAME.sub(rb"\1: ", head) + sep + body
