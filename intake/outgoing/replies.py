"""Reading an incoming message for what our answer needs: whom to answer, and whether to at all.

The intake pipeline may build its ReplyContext with `reply_context(message, settings)`. We answer
the From address only (not Reply-To, not an address inside an attachment): it is the address
that sent us the report. A message counts as automatic when any of the signs RT, Znuny, Zammad
and django-helpdesk use is present; automatic mail is never answered.
"""

from __future__ import annotations

from email.message import Message

from casefile.config import Settings
from intake.outgoing.outbox import ReplyContext
from intake.outgoing.rules import is_robot_address
from intake.outgoing.safety import address_from_header

_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "Mailing-List")
_FLAG_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Loop", "X-OTRS-Loop")
_BULK = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_SUPPRESS = {"all", "autoreply", "oof", "dr"}


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return str(value).strip() if value is not None else ""


def automatic_reason(message: Message, settings: Settings) -> str | None:
    """Why `message` looks machine-sent (English, for the log), or None for a person's mail."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if _header(message, "Precedence").lower() in _BULK:
        return "Precedence"
    for name in (*_LIST_HEADERS, *_FLAG_HEADERS, settings.mail.loop_header):
        if message.get(name) is not None:
            return name
    suppress = {v.strip().lower() for v in _header(message, "X-Auto-Response-Suppress").split(",")}
    if suppress & _SUPPRESS:
        return "X-Auto-Response-Suppress"
    if message.get("Return-Path") is not None and _header(message, "Return-Path") in ("<>", ""):
        return "empty Return-Path"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    sender = address_from_header(_header(message, "From"))
    if sender is not None and is_robot_address(sender):
        return "robot sender address"
    if sender is not None and sender.lower() == settings.smtp.from_address.lower():
        return "our own address"
    return None


def reply_context(message: Message, settings: Settings) -> ReplyContext:
    return ReplyContext(
        recipient=address_from_header(_header(message, "From")),
        message_id=_header(message, "Message-ID") or None,
        references=_header(message, "References") or None,
        automatic=automatic_reason(message, settings) is not None,
    )
