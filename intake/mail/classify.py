"""Is a message automatic? ONE rule table, as data, in the manner of Mailman's chains.

Each rule is a named predicate over the headers of a message; the first that matches says why
the message is automatic. The same table decides for incoming mail (intake/mail/pipeline.py)
and for our answers to it (intake/outgoing: nothing automatic is ever answered, and no
automatic mail goes to a robot address). The signs are those RT, Znuny/OTRS, Zammad,
django-helpdesk and Mailman use.

RFC 3834: `Auto-Submitted: no` (with or without a comment or parameters) means a person sent it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses, parseaddr

from intake.mail.mime import HEADERS, ParsedMessage

# Local parts that belong to machines or to role accounts that must never get automatic mail.
_ROBOT_LOCAL = re.compile(
    r"^(?:mailer-?daemon|postmaster|abuse|root|daemon|nobody|bounces?|listserv|majordomo"
    r"|auto-?reply|autosvar"
    # Mailman and Majordomo: list-request@, list-owner@, owner-list@ (list-bounces@ is below).
    r"|.+-(?:request|owner)|owner-.+"
    r"|(?:.*[._+-])?(?:no-?reply|do-?not-?reply|donotreply|noreply|bounce|bounces))"
    r"(?:[+._-].*)?$",
    re.IGNORECASE,
)

# Where a message says whom it was delivered to (headers, and the envelope as servers record it).
_ADDRESSED_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")
# RFC 2369/2919 list headers, and what Mailman writes even into a digest without them.
_LIST_HEADERS = (
    "list-id",
    "list-unsubscribe",
    "list-post",
    "mailing-list",
    "list-help",
    "list-subscribe",
    "list-owner",
    "list-archive",
)
_MAILMAN_HEADERS = ("x-mailman-version", "x-beenthere")
_LOOP_HEADERS = ("x-loop", "x-otrs-loop")
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_SUPPRESS_TOKENS = frozenset({"all", "autoreply", "oof", "dr"})
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class MailView:
    """What the rules look at: headers by lower-case name, the top content type, the sender,
    and our own loop header, address and bounce address (`[mail] envelope_from`)."""

    headers: Mapping[str, str]
    content_type: str
    sender: str | None
    loop_header: str
    own_address: str | None = None
    bounce_address: str | None = None

    def header(self, name: str) -> str:
        return " ".join(self.headers.get(name.lower(), "").split()).lower()

    def has(self, name: str) -> bool:
        return name.lower() in self.headers

    @classmethod
    def of_parsed(
        cls,
        msg: ParsedMessage,
        loop_header: str,
        own_address: str | None = None,
        bounce_address: str | None = None,
    ) -> MailView:
        return cls(
            msg.headers,
            msg.content_type,
            msg.from_address,
            loop_header,
            own_address,
            bounce_address,
        )

    @classmethod
    def of_message(
        cls,
        msg: Message,
        loop_header: str,
        own_address: str | None = None,
        bounce_address: str | None = None,
    ) -> MailView:
        headers = {}
        for name in (*HEADERS, loop_header):
            value = msg.get(name)
            if value is not None:
                headers[name.lower()] = str(value)
        address = parseaddr(str(msg.get("From", "")))[1].strip() or None
        return cls(
            headers, msg.get_content_type(), address, loop_header, own_address, bounce_address
        )


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[MailView], bool]


def is_robot_address(address: str | None) -> bool:
    """A machine's or a role account's address (mailer-daemon, no-reply, bounces+…)."""
    if not address or "@" not in address:
        return False
    return bool(_ROBOT_LOCAL.match(address.rpartition("@")[0]))


def _auto_submitted(view: MailView) -> bool:
    value = _COMMENT.sub(" ", view.header("Auto-Submitted"))
    keyword = value.split(";")[0].strip()
    return bool(keyword) and keyword != "no"


def _suppress(view: MailView) -> bool:
    tokens = {t.strip() for t in view.header("X-Auto-Response-Suppress").split(",")}
    return bool(tokens & _SUPPRESS_TOKENS)


def base_address(address: str) -> str:
    """The mailbox an address reaches: lower-case, without a `+tag` sub-address
    (Kontakt+x@Forbund.se -> kontakt@forbund.se): a tag cannot make our own address a stranger."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return domain
    base = local.split("+", 1)[0]
    return f"{base or local}@{domain}"


def is_own_address(address: str | None, own: str | None) -> bool:
    """`address` is our own (`own`), in any case and with any `+tag`."""
    if not address or not own or "@" not in address or "@" not in own:
        return False
    return base_address(address) == base_address(own)


def _own_address(view: MailView) -> bool:
    return is_own_address(view.sender, view.own_address)


def _to_bounce_address(view: MailView) -> bool:
    """Sent to our bounce address, or with it as Return-Path: a bounce or an answer to one.
    A bounce address that is our own From address would make every report automatic: ignored."""
    bounce = (view.bounce_address or "").strip().lower()
    if "@" not in bounce or bounce == (view.own_address or "").strip().lower():
        return False
    names = (*_ADDRESSED_HEADERS, "return-path")
    values = [view.headers[name] for name in names if name in view.headers]
    # Each header on its own: an unclosed quote or comment in one must not swallow the next.
    return any(address.lower() == bounce for v in values for _, address in getaddresses([v]))


RULES: tuple[Rule, ...] = (
    Rule("own_loop", "our own loop header", lambda v: v.has(v.loop_header)),
    Rule("auto_submitted", "Auto-Submitted other than no (RFC 3834)", _auto_submitted),
    Rule(
        "precedence",
        "Precedence bulk, junk, list or auto-reply",
        lambda v: v.header("Precedence") in _BULK_PRECEDENCE,
    ),
    Rule(
        "mailing_list",
        "List-Id, List-Unsubscribe, List-Post, Mailing-List or another RFC 2369 List- header",
        lambda v: any(v.has(h) for h in _LIST_HEADERS),
    ),
    Rule(
        "mailman",
        "X-Mailman-Version or X-BeenThere (a Mailman list or digest)",
        lambda v: any(v.has(h) for h in _MAILMAN_HEADERS),
    ),
    Rule("loop", "X-Loop or X-OTRS-Loop", lambda v: any(v.has(h) for h in _LOOP_HEADERS)),
    Rule(
        "x_autoreply",
        "X-Autoreply, X-Autorespond or X-Auto-Reply",
        lambda v: any(v.has(h) for h in _AUTOREPLY_HEADERS),
    ),
    Rule("suppress", "X-Auto-Response-Suppress asks for no answer", _suppress),
    Rule("null_sender", "empty Return-Path", lambda v: v.header("Return-Path") == "<>"),
    Rule(
        "bounce_address",
        "addressed to our bounce address ([mail] envelope_from), or it is the Return-Path",
        _to_bounce_address,
    ),
    Rule(
        "delivery_report",
        "delivery status report",
        lambda v: v.content_type in ("multipart/report", "message/delivery-status"),
    ),
    Rule(
        "automatic_sender",
        "mailer-daemon, postmaster, no-reply, list-request, owner-list or another robot address",
        lambda v: is_robot_address(v.sender),
    ),
    Rule("own_address", "sent from our own address", _own_address),
)


def matching_rule(view: MailView) -> Rule | None:
    """The first rule that marks the message automatic, or None for a person's mail."""
    for rule in RULES:
        if rule.check(view):
            return rule
    return None


def automatic_reason(
    msg: ParsedMessage,
    loop_header: str,
    own_address: str | None = None,
    bounce_address: str | None = None,
) -> str | None:
    """The name of the first rule that marks an incoming message automatic, or None."""
    rule = matching_rule(MailView.of_parsed(msg, loop_header, own_address, bounce_address))
    return rule.name if rule is not None else None
