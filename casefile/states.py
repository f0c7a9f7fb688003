"""Every state, status and kind the register stores, as types, with their Swedish and English
labels and the named groups the code asks about ("belongs in the staff inbox", "needs staff").

The database keeps the English codes (the StrEnum values); people read the labels. One table
per type, so a new state cannot be added without a label (tests/cli/test_states.py checks it).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from casefile.i18n import language


class Coded(StrEnum):
    """A stored code with a label for people; the base of every enum here."""

    @property
    def sv(self) -> str:
        return _LABELS[type(self), self.value][0]

    @property
    def en(self) -> str:
        return _LABELS[type(self), self.value][1]

    @property
    def label(self) -> str:
        """The label in the language of the output (CASEFILE_LANG, else registry.language)."""
        return self.en if language() == "en" else self.sv


class MessageState(Coded):
    """An incoming message (messages.state)."""

    RECEIVED = "received"
    REGISTERED = "registered"
    AUTOMATIC = "automatic"
    NO_REPORT = "no_report"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    # A delivery report that returned one of our registered documents: for staff, never filed.
    DELIVERY_FAILED = "delivery_failed"


class AttachmentState(Coded):
    """One attachment of an incoming message (attachments.state)."""

    REPORT = "report"
    OTHER = "other"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


class DocumentStatus(Coded):
    """A registered document (documents.status)."""

    REGISTERED = "registered"
    INCOMPLETE = "incomplete"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DocumentKind(Coded):
    """What a document is (documents.kind): the extraction's document types, and what the office
    writes itself (never read as a report, never a reason for mail)."""

    SLUTRAPPORT = "slutrapport"
    DELRAPPORT = "delrapport"
    ANSOKAN = "ansokan"
    UNKNOWN = "unknown"
    BREV = "brev"
    BESLUT = "beslut"
    TJANSTEANTECKNING = "tjansteanteckning"


class CaseStatus(Coded):
    OPEN = "open"
    CLOSED = "closed"


class OutboxState(Coded):
    """An automatic mail in the outbox (outbox.state)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    SUPPRESSED = "suppressed"


class MailKind(Coded):
    """What an automatic mail is for (outbox.kind)."""

    KVITTENS = "kvittens"
    KOMPLETTERING = "komplettering"
    PAMINNELSE = "paminnelse"
    DIGEST = "digest"


class Direction(Coded):
    """Which way a document went (documents.direction)."""

    IN = "in"
    OUT = "out"
    INTERNAL = "internal"


class Channel(Coded):
    """How an incoming document reached the office (documents.channel)."""

    EMAIL = "email"
    POST = "post"
    HAND = "hand"
    OTHER = "other"


class AuthVerdict(Coded):
    """The receiving server's verdict on the sender (messages.auth_verdict)."""

    VERIFIED = "verified"
    FAILED = "failed"
    UNKNOWN = "unknown"


_LABEL_TABLE: list[tuple[Coded, str, str]] = [
    (MessageState.RECEIVED, "mottagen", "received"),
    (MessageState.REGISTERED, "registrerad", "registered"),
    (MessageState.AUTOMATIC, "automatiskt brev", "automatic"),
    (MessageState.NO_REPORT, "ingen rapport", "no report"),
    (MessageState.QUARANTINED, "i karantän", "quarantined"),
    (MessageState.DUPLICATE, "dubblett", "duplicate"),
    (MessageState.FAILED, "misslyckad", "failed"),
    (MessageState.DELIVERY_FAILED, "leveransfel", "delivery failed"),
    (AttachmentState.REPORT, "rapport", "report"),
    (AttachmentState.OTHER, "annan bilaga", "other"),
    (AttachmentState.QUARANTINED, "i karantän", "quarantined"),
    (AttachmentState.DUPLICATE, "dubblett", "duplicate"),
    (DocumentStatus.REGISTERED, "registrerad", "registered"),
    (DocumentStatus.INCOMPLETE, "ofullständig", "incomplete"),
    (DocumentStatus.COMPLETED, "kompletterad", "completed"),
    (DocumentStatus.CANCELLED, "makulerad", "cancelled"),
    (DocumentKind.SLUTRAPPORT, "slutrapport", "final report"),
    (DocumentKind.DELRAPPORT, "delrapport", "interim report"),
    (DocumentKind.ANSOKAN, "ansökan", "application"),
    (DocumentKind.UNKNOWN, "okänd", "unknown"),
    (DocumentKind.BREV, "brev", "letter"),
    (DocumentKind.BESLUT, "beslut", "decision"),
    (DocumentKind.TJANSTEANTECKNING, "tjänsteanteckning", "file note"),
    (CaseStatus.OPEN, "öppet", "open"),
    (CaseStatus.CLOSED, "avslutat", "closed"),
    (OutboxState.QUEUED, "i kö", "queued"),
    (OutboxState.SENDING, "skickas", "sending"),
    (OutboxState.SENT, "skickat", "sent"),
    (OutboxState.FAILED, "misslyckat", "failed"),
    (OutboxState.UNCERTAIN, "osäkert", "uncertain"),
    (OutboxState.SUPPRESSED, "stoppat", "suppressed"),
    (MailKind.KVITTENS, "kvittens", "acknowledgement"),
    (MailKind.KOMPLETTERING, "komplettering", "completion request"),
    (MailKind.PAMINNELSE, "påminnelse", "reminder"),
    (MailKind.DIGEST, "sammanställning", "digest"),
    (Direction.IN, "inkommande", "incoming"),
    (Direction.OUT, "utgående", "outgoing"),
    (Direction.INTERNAL, "upprättad", "internal"),
    (Channel.EMAIL, "e-post", "e-mail"),
    (Channel.POST, "post", "post"),
    (Channel.HAND, "personligen", "by hand"),
    (Channel.OTHER, "annat", "other"),
    (AuthVerdict.VERIFIED, "verifierad", "verified"),
    (AuthVerdict.FAILED, "underkänd", "failed"),
    (AuthVerdict.UNKNOWN, "okänd", "unknown"),
]
# Keyed by type and code: members of different enums with the same code ("failed") are equal
# as strings, so a dict keyed by the members themselves would mix their labels up.
# The same goes for sets: never mix members of two enums in one set.
_LABELS: dict[tuple[type[Coded], str], tuple[str, str]] = {
    (type(member), member.value): (sv, en) for member, sv, en in _LABEL_TABLE
}

ENUMS: tuple[type[Coded], ...] = (
    MessageState,
    AttachmentState,
    DocumentStatus,
    DocumentKind,
    CaseStatus,
    OutboxState,
    MailKind,
    Direction,
    Channel,
    AuthVerdict,
)


def label_of(enum: type[Coded], code: str | None, *, swedish: bool = False) -> str:
    """The label of a stored code for people; an unknown code (a newer version wrote it) is
    shown as it is rather than failing the listing."""
    if not code:
        return "–"
    try:
        member = enum(code)
    except ValueError:
        return code
    return member.sv if swedish else member.label


# --- Named groups -------------------------------------------------------------------------

# What the office writes (casefile register --direction out|internal --kind …).
WRITTEN_KINDS = frozenset({DocumentKind.BREV, DocumentKind.BESLUT, DocumentKind.TJANSTEANTECKNING})
# What the extraction reads a report as (intake.extract.model.DOCUMENT_TYPES, which the reader
# keeps itself since it imports nothing of casefile; tests/cli/test_states.py checks they agree).
READ_KINDS = tuple(kind for kind in DocumentKind if kind not in WRITTEN_KINDS)
# The documents the board list and the follow-up sheet count as reports on an insats.
REPORT_KINDS = (DocumentKind.SLUTRAPPORT, DocumentKind.DELRAPPORT)
# The kinds the mail and the exports name in words (an unknown document is "a document").
NAMED_KINDS = (DocumentKind.SLUTRAPPORT, DocumentKind.DELRAPPORT, DocumentKind.ANSOKAN)
# Messages that need a person: listed by `casefile inbox` and the staff digest.
INBOX_STATES = frozenset(
    {
        MessageState.NO_REPORT,
        MessageState.QUARANTINED,
        MessageState.FAILED,
        MessageState.DELIVERY_FAILED,
    }
)
# Messages `intake retry` may run through intake again.
RETRYABLE_STATES = frozenset(
    {MessageState.QUARANTINED, MessageState.FAILED, MessageState.NO_REPORT}
)
# Outbox rows a person must look at (status, digest).
OUTBOX_PROBLEM_STATES = frozenset({OutboxState.FAILED, OutboxState.UNCERTAIN})
# Outbox rows a person may send again (`casefile requeue`).
REQUEUEABLE_STATES = frozenset({OutboxState.UNCERTAIN, OutboxState.FAILED, OutboxState.SUPPRESSED})
# Mail that counts against the daily cap per recipient: everything we did or may still send.
COUNTED_OUTBOX_STATES = frozenset(
    {OutboxState.QUEUED, OutboxState.SENDING, OutboxState.SENT, OutboxState.UNCERTAIN}
)

# --- Event actions ------------------------------------------------------------------------

# The audit log's action codes (events.action) and how `casefile show` names them. Actions
# not listed here are shown by their code; tests/cli/test_states.py checks that every action
# the code writes is listed.
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "case_opened": ("ärende upprättat", "case opened"),
    "case_closed": ("ärende avslutat", "case closed"),
    "case_reopened": ("ärende återöppnat", "case reopened"),
    "contact_confirmed": ("kontaktadress bekräftad", "contact confirmed"),
    "due_date_set": ("bevakningsdatum satt", "due date set"),
    "note": ("anteckning", "note"),
    "document_registered": ("handling registrerad", "document registered"),
    "completed_by": ("kompletterad av", "completed by"),
    "document_signed": ("handling signerad", "document signed"),
    "document_unsigned": ("signatur återtagen", "signature withdrawn"),
    "document_cancelled": ("handling makulerad", "document cancelled"),
    "document_moved": ("handling flyttad", "document moved"),
    "document_flagged": ("handling flaggad för handläggare", "document flagged for staff"),
    "field_corrected": ("uppgift rättad", "field corrected"),
    "secrecy_marked": ("sekretessmarkerad", "marked secret"),
    "report_resent": ("rapport skickad igen", "report sent again"),
    "message_duplicate": ("brev: dubblett", "message: duplicate"),
    "message_automatic": ("brev: automatiskt", "message: automatic"),
    "message_without_report": ("brev utan rapport", "message without report"),
    "message_failed": ("brev misslyckades", "message failed"),
    "message_retried": ("brev kört igen", "message retried"),
    "message_dismissed": ("brev avfört", "message dismissed"),
    "attachment_quarantined": ("bilaga i karantän", "attachment quarantined"),
    "uidvalidity_changed": ("brevlåda omnumrerad", "mailbox renumbered"),
    "mail_queued": ("brev köat", "mail queued"),
    "mail_sent": ("brev skickat", "mail sent"),
    "mail_failed": ("brev misslyckades", "mail failed"),
    "mail_uncertain": ("brev osäkert", "mail uncertain"),
    "mail_requeued": ("brev köat igen", "mail requeued"),
    "registered_by_hand": ("registrerad för hand", "registered by hand"),
    "signature_validated": ("e-underskrift kontrollerad", "e-signature checked"),
    "forwarded_by_staff": ("vidarebefordrad av personal", "forwarded by staff"),
    "delivery_failed": (
        "leveransfel: vårt brev kom tillbaka",
        "delivery failed: our mail returned",
    ),
}


def event_label(action: str) -> str:
    labels = EVENT_LABELS.get(action)
    if labels is None:
        return action
    return labels[1] if language() == "en" else labels[0]


# --- Fields and rules people read ---------------------------------------------------------

# The fields `casefile correct` may change (casefile.register.CORRECTABLE): code → (sv, en).
# Staff may write either; the history and the command say the Swedish (or English) name.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("insats", "insats"),
    "organisation": ("organisation", "organisation"),
    "kind": ("typ", "kind"),
    "period_start": ("startdatum", "start date"),
    "period_end": ("slutdatum", "end date"),
    "granted_sek": ("beviljat", "granted"),
    "spent_sek": ("förbrukat", "spent"),
    "workplace": ("arbetsplats", "workplace"),
    "contact_name": ("kontaktperson", "contact name"),
    "contact_phone": ("telefon", "phone"),
    "contact_email": ("e-post", "e-mail"),
    "postal_code": ("postnummer", "postal code"),
    "postal_town": ("postort", "postal town"),
    "submitter_date": ("underskriftsdatum", "date signed"),
    "submitter_name": ("undertecknare", "signed by"),
    # Corrected on its own, with a reason (casefile.register.correct_received_date).
    "received_date": ("ankomstdatum", "received date"),
}


def field_label(code: str) -> str:
    labels = FIELD_LABELS.get(code)
    if labels is None:
        return code
    return labels[1] if language() == "en" else labels[0]


def field_code(text: str) -> str:
    """The field's code for its code or its Swedish or English name (any case, '_' or ' ');
    text that names no field is returned as it is, for the register to refuse."""
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    for code, (sv, en) in FIELD_LABELS.items():
        if wanted in (code.replace("_", " "), sv.casefold(), en.casefold()):
            return code
    return text


def field_choices() -> str:
    """'beviljat (granted_sek), …' for help texts and errors."""
    return ", ".join(
        f"{sv} ({code})" if sv != code else code for code, (sv, _) in FIELD_LABELS.items()
    )


# intake.mail.classify.RULES by name: why a message was taken as automatic mail.
AUTOMATIC_RULE_LABELS: dict[str, tuple[str, str]] = {
    "own_loop": ("vårt eget utskick", "our own mail"),
    "auto_submitted": ("märkt som automatiskt", "marked automatic"),
    "precedence": ("massutskick", "bulk mail"),
    "mailing_list": ("e-postlista", "mailing list"),
    "mailman": ("Mailman-lista", "Mailman list"),
    "loop": ("slinga", "mail loop"),
    "x_autoreply": ("autosvar", "auto-reply"),
    "suppress": ("ber om inget svar", "asks for no reply"),
    "null_sender": ("tom returadress", "empty return path"),
    "bounce_address": ("till vår returadress", "to our bounce address"),
    "delivery_report": ("leveransrapport", "delivery report"),
    "no_sender": ("ingen avsändaradress", "no sender address"),
    "automatic_sender": ("robotadress", "robot address"),
}
_RULE_IN_TEXT = re.compile(r"\(([a-z_]+)\)")


def readable_reason(text: str | None) -> str:
    """A stored reason with the automatic-mail rule's code ("(auto_submitted)") in words."""

    def word(match: re.Match[str]) -> str:
        labels = AUTOMATIC_RULE_LABELS.get(match.group(1))
        if labels is None:
            return match.group(0)
        return f"({labels[1] if language() == 'en' else labels[0]})"

    return _RULE_IN_TEXT.sub(word, text or "")


# --- Parsing ------------------------------------------------------------------------------

E = TypeVar("E", bound=Coded)


class InvalidState(ValueError):
    """A state word that is neither a code nor a label. The commands' StateType
    (casefile/cli_support/) turns it into a usage error (exit 2)."""


def choices(enum: type[Coded], lang: str | None = None) -> str:
    """'registrerad (registered) | …': the valid values, for help texts and errors; the
    Swedish word first (the code first under CASEFILE_LANG=en, or lang="en"), both are
    accepted."""
    if (lang or language()) == "en":
        return " | ".join(f"{m.value} ({m.sv})" if m.sv != m.value else m.value for m in enum)
    return " | ".join(f"{m.sv} ({m.value})" if m.sv != m.value else m.value for m in enum)


def parse_state(enum: type[E], text: str) -> E:
    """The member named by its code or its Swedish or English label, in any letter case."""
    wanted = " ".join(text.split()).casefold()
    for member in enum:
        if wanted in (member.value.casefold(), member.sv.casefold(), member.en.casefold()):
            return member
    raise InvalidState(f"{text!r} är inget giltigt värde; välj bland: {choices(enum)}")
