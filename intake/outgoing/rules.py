"""When an automatic mail must not be sent, and why: one table, SEND_RULES.

As intake/mail/classify.RULES is for receiving, SEND_RULES is the one table for sending: each rule
is named and described, the rules are tried in order, and the first that denies a mail decides
(its reason, in Swedish, is shown to staff; its name is logged). A denied mail is still written
to the outbox as "suppressed" (outbox.py).

The rules follow what RT, Znuny, Zammad and django-helpdesk learnt: never answer automatic mail,
never write to robot addresses, never answer ourselves, and cap what one address can get from us
in a day, so that two robots cannot keep each other busy. Before those, the office's own choices:
acknowledgements switched off, and no mail to a sender whose mail failed the trust policy
(mail.acknowledge).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from casefile.config import Settings
from casefile.db.models import OutboxMail
from casefile.states import COUNTED_OUTBOX_STATES, AuthVerdict, MailKind
from intake.mail.authresults import Policy
from intake.mail.classify import is_own_address, is_robot_address

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One automatic mail as the rules see it, before it is queued.

    recipient: the cleaned address (None if unusable); missing: why there is none, when the
    caller knows better than "no usable address" (a reminder for a case without a contact).
    sender_verdict: the trust verdict of the mail the recipient sent us, when the mail goes to
    that sender (None: registered by staff, a confirmed contact, or staff's own mail).
    """

    kind: str
    recipient: str | None
    answers_automatic: bool = False
    to_staff: bool = False
    sender_verdict: str | None = None
    missing: str | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None  # Swedish, one line, for staff
    rule: str | None = None  # the name of the rule that denied it

    @classmethod
    def ok(cls) -> Verdict:
        return cls(True)

    @classmethod
    def deny(cls, reason: str, rule: str | None = None) -> Verdict:
        return cls(False, reason, rule)


@dataclass(frozen=True)
class SendRule:
    name: str
    description: str
    # The reason (Swedish, one line) this rule forbids the mail, or None if it does not.
    denies: Callable[[Session, Settings, Outgoing, dt.datetime], str | None]


def _split(address: str) -> tuple[str, str]:
    """(local part without its +tag, domain), both lower-case: user+1@X.test -> (user, x.test)."""
    local, _, domain = address.strip().lower().rpartition("@")
    base = local.split("+", 1)[0]
    return (base or local), domain


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sent_recently(session: Session, recipient: str, now: dt.datetime) -> int:
    """Automatic mails to `recipient` queued in the last 24 hours (a rolling day).

    Sub-addresses count as one recipient (user+1@, USER+2@ and user@ share one limit), so the
    limit cannot be multiplied by inventing tags."""
    since = now - dt.timedelta(days=1)
    base, domain = _split(recipient)
    lowered = func.lower(OutboxMail.recipient)
    rows = session.execute(
        select(OutboxMail.recipient).where(
            or_(
                lowered == f"{base}@{domain}",
                lowered.like(f"{_like(base)}+%@{_like(domain)}", escape="\\"),
            ),
            OutboxMail.created_at > since,
            OutboxMail.state.in_(COUNTED_OUTBOX_STATES),
        )
    ).scalars()
    # LIKE narrows; the exact rule is _split's.
    return sum(1 for address in rows if _split(address) == (base, domain))


def acknowledge_denial(policy: Policy, verdict: str | None) -> str | None:
    """Why no automatic mail may go to this sender under `policy`, or None if it may.

    A document without a verdict was registered by staff (not from a mail we judged); staff
    decide about its acknowledgement themselves.
    """
    if verdict is None or policy == "always":
        return None
    if verdict == AuthVerdict.FAILED:
        return "avsändaren kunde inte verifieras (autentiseringen misslyckades)"
    if policy == "verified" and verdict != AuthVerdict.VERIFIED:
        return "avsändaren är inte verifierad (mail.acknowledge = verified)"
    return None


def _acknowledgements_off(
    _session: Session, settings: Settings, mail: Outgoing, _now: dt.datetime
) -> str | None:
    if mail.kind == MailKind.KVITTENS and not settings.mail.send_acknowledgements:
        return "kvittenser är avstängda (mail.send_acknowledgements)"
    return None


def _sender_not_trusted(
    _session: Session, settings: Settings, mail: Outgoing, _now: dt.datetime
) -> str | None:
    return acknowledge_denial(settings.mail.acknowledge, mail.sender_verdict)


def _answers_automatic(
    _session: Session, _settings: Settings, mail: Outgoing, _now: dt.datetime
) -> str | None:
    return "svarar inte på automatiskt skickad post" if mail.answers_automatic else None


def _no_address(
    _session: Session, _settings: Settings, mail: Outgoing, _now: dt.datetime
) -> str | None:
    if mail.recipient is None:
        return mail.missing or "ingen användbar mottagaradress"
    return None


def _robot_address(
    _session: Session, _settings: Settings, mail: Outgoing, _now: dt.datetime
) -> str | None:
    if is_robot_address(mail.recipient):
        return f"{mail.recipient} är en robot- eller no-reply-adress"
    return None


def _own_address(
    _session: Session, settings: Settings, mail: Outgoing, _now: dt.datetime
) -> str | None:
    assert mail.recipient is not None  # _no_address comes first
    if not mail.to_staff and is_own_address(mail.recipient, settings.smtp.from_address):
        return "mottagaren är vår egen adress"
    return None


def _daily_limit(
    session: Session, settings: Settings, mail: Outgoing, now: dt.datetime
) -> str | None:
    assert mail.recipient is not None  # _no_address comes first
    limit = settings.mail.max_per_recipient_per_day
    if sent_recently(session, mail.recipient, now) >= limit:
        return f"gränsen {limit} automatiska brev per dygn till {mail.recipient} är nådd"
    return None


SEND_RULES: tuple[SendRule, ...] = (
    SendRule(
        "acknowledgements_off",
        "no kvittens while mail.send_acknowledgements is false",
        _acknowledgements_off,
    ),
    SendRule(
        "sender_not_trusted",
        "no mail to a sender whose mail the trust policy (mail.acknowledge) rejects",
        _sender_not_trusted,
    ),
    SendRule(
        "answers_automatic",
        "never answer mail that a machine sent (classify.RULES)",
        _answers_automatic,
    ),
    SendRule("no_address", "no usable recipient address", _no_address),
    SendRule(
        "robot_address",
        "never write to a machine's or role account's address (no-reply, mailer-daemon)",
        _robot_address,
    ),
    SendRule(
        "own_address",
        "never write to our own address (or a +tag of it), except staff's own mail",
        _own_address,
    ),
    SendRule(
        "daily_limit",
        "at most mail.max_per_recipient_per_day automatic mails to one address in a rolling day",
        _daily_limit,
    ),
)


def check_send(session: Session, settings: Settings, mail: Outgoing, now: dt.datetime) -> Verdict:
    """May `mail` be sent now? The first rule of SEND_RULES that forbids it decides."""
    for rule in SEND_RULES:
        reason = rule.denies(session, settings, mail, now)
        if reason is not None:
            log.info(
                "%s to %s: denied by rule %s: %s", mail.kind, mail.recipient, rule.name, reason
            )
            return Verdict.deny(reason, rule.name)
    return Verdict.ok()
