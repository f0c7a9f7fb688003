"""Is a message automatic? Rules as data, in the manner of Mailman's chains.

Each rule is a named predicate over the parsed message; the first that matches says why the
message is automatic. Automatic mail is stored and logged but gets no case and no reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from intake.mail.mime import ParsedMessage

_AUTOMATIC_LOCALPART = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|noreply-.*|bounces?(\+.*)?|"
    r"auto-?reply|autosvar)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[ParsedMessage, str], bool]


def _h(msg: ParsedMessage, name: str) -> str:
    return msg.headers.get(name.lower(), "").strip().lower()


def is_automatic_address(address: str | None) -> bool:
    if not address or "@" not in address:
        return True
    return bool(_AUTOMATIC_LOCALPART.match(address.rsplit("@", 1)[0]))


RULES: tuple[Rule, ...] = (
    Rule("own_loop", "our own loop header", lambda m, loop: bool(m.headers.get(loop.lower()))),
    Rule(
        "auto_submitted",
        "Auto-Submitted other than no (RFC 3834)",
        lambda m, _: _h(m, "Auto-Submitted") not in ("", "no"),
    ),
    Rule(
        "precedence",
        "Precedence bulk, junk or list",
        lambda m, _: _h(m, "Precedence") in ("bulk", "junk", "list", "auto_reply"),
    ),
    Rule(
        "mailing_list",
        "List-Id or List-Unsubscribe",
        lambda m, _: bool(_h(m, "List-Id") or _h(m, "List-Unsubscribe")),
    ),
    Rule("null_sender", "empty Return-Path", lambda m, _: _h(m, "Return-Path") in ("<>",)),
    Rule(
        "delivery_report",
        "delivery status report",
        lambda m, _: m.content_type in ("multipart/report", "message/delivery-status"),
    ),
    Rule(
        "suppress",
        "X-Auto-Response-Suppress asks for no answer",
        lambda m, _: any(
            tok in _h(m, "X-Auto-Response-Suppress") for tok in ("all", "autoreply", "oof", "dr")
        ),
    ),
    Rule(
        "x_autoreply",
        "X-Autoreply / X-Autorespond",
        lambda m, _: bool(_h(m, "X-Autoreply") or _h(m, "X-Autorespond")),
    ),
    Rule(
        "automatic_sender",
        "mailer-daemon, postmaster or no-reply sender",
        lambda m, _: is_automatic_address(m.from_address),
    ),
)


def automatic_reason(msg: ParsedMessage, loop_header: str) -> str | None:
    """The name of the first rule that marks the message automatic, or None."""
    for rule in RULES:
        if rule.check(msg, loop_header):
            return rule.name
    return None
