"""Reading an incoming message for what our answer needs: whom to answer, and whether to at all.

The intake pipeline may build its ReplyContext with `reply_context(message, settings)`. We answer
the From address only (not Reply-To, not an address inside an attachment): it is the address
that sent us the report. Whether it is automatic is decided by the one rule table in
intake/mail/classify.py, the same that classifies incoming mail; automatic mail is never answered.
"""

from __future__ import annotations

from email.message import Message

from casefile.config import Settings
from intake.mail.classify import MailView, matching_rule
from intake.outgoing.outbox import ReplyContext
from intake.outgoing.safety import address_from_header


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return str(value).strip() if value is not None else ""


def automatic_reason(message: Message, settings: Settings) -> str | None:
    """The name of the rule (intake/mail/classify.py) that makes `message` machine-sent."""
    view = MailView.of_message(
        message,
        settings.mail.loop_header,
        settings.smtp.from_address,
        settings.mail.envelope_from or None,
    )
    rule = matching_rule(view)
    return rule.name if rule is not None else None


def reply_context(message: Message, settings: Settings) -> ReplyContext:
    return ReplyContext(
        recipient=address_from_header(_header(message, "From")),
        message_id=_header(message, "Message-ID") or None,
        references=_header(message, "References") or None,
        automatic=automatic_reason(message, settings) is not None,
    )
