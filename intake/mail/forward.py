"""Reading a forward: who originally sent a message an officer forwarded to the office, and when
it reached the office. Pure functions over the raw bytes; the pipeline decides what to do.

Two shapes are understood: the original attached whole (message/rfc822, as Outlook's "forward as
attachment" and Thunderbird's default do), and an inline forward whose quoted header block the
mail program wrote into the text: Swedish and English Outlook ("Från:/Skickat:/Till:/Ämne:",
"From:/Sent:/To:/Subject:"), Gmail ("---------- Forwarded message ---------", "Date:") and
Thunderbird ("-------- Vidarebefordrat meddelande --------", "Datum:").
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.message import Message
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from intake.mail.mime import ParsedMessage, body_text, clean

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casefile.config import Settings
    from casefile.db.models import Document, SourceMessage


@dataclass(frozen=True)
class Original:
    """What the forwarded message says about itself."""

    sender: str | None  # address; None when the header block shows only a name
    sender_name: str
    sent_at: dt.datetime | None  # aware; when it reached the office (or was sent)
    subject: str | None
    message_id: str | None
    shape: str  # "attached" | "inline"


def is_staff_address(
    address: str | None, staff: list[str], domains: list[str] | tuple[str, ...] = ()
) -> bool:
    """`staff` holds whole addresses (`[registry] staff_addresses`); `domains` the bare domains
    ("forbund.se" or "@forbund.se") the operator named in `[registry] staff_domains`. A domain
    in `staff` counts for nothing: only `domains` speaks for a whole domain."""
    if not address or "@" not in address:
        return False
    address = address.strip().lower()
    domain = address.rsplit("@", 1)[1]
    for entry in staff:
        entry = entry.strip().lower()
        local, at, _ = entry.rpartition("@")
        if at and local and address == entry:
            return True
    return any(entry.strip() and domain == entry.strip().lower().lstrip("@") for entry in domains)


_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def _address_in(text: str) -> tuple[str, str | None]:
    name, addr = email.utils.parseaddr(text)
    if addr and _ADDRESS.fullmatch(addr):
        return name.strip(), addr
    found = _ADDRESS.search(text)
    if found:
        name = text[: found.start()].strip(" <[\"'(").replace("mailto:", "").strip(" <[\"'")
        return name, found.group(0)
    return text.strip(), None


# --- Dates as mail programs write them in a forward's header block. ---

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "maj": 5,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "okt": 10,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(am|pm|fm|em)?\b", re.IGNORECASE)
_WORD = re.compile(r"[a-zåäö]+", re.IGNORECASE)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})\s*$")


def parse_header_date(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """A date line of a forward ("den 3 februari 2026 09:15", "Tuesday, February 3, 2026 9:15 AM",
    "tis 3 feb. 2026 kl. 09:15", "Tue, 3 Feb 2026 09:15:00 +0100", "2026-02-03 09:15").
    Without a zone, the registry's zone. None when no date can be read."""
    text = " ".join(text.split())
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed
    time_match = _TIME.search(text)
    rest = _TIME.sub(" ", text)
    iso = _ISO.search(rest)
    try:
        if iso:
            day = dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        else:
            year_match = _YEAR.search(rest)
            month = next(
                (_MONTHS[w.lower()[:3]] for w in _WORD.findall(rest) if w.lower()[:3] in _MONTHS),
                None,
            )
            if year_match is None or month is None:
                return None
            without_year = rest[: year_match.start()] + " " + rest[year_match.end() :]
            days = [int(n) for n in re.findall(r"\b(\d{1,2})\b", without_year)]
            days = [n for n in days if 1 <= n <= 31]
            if not days:
                return None
            day = dt.date(int(year_match.group(1)), month, days[0])
    except ValueError:
        return None
    hour = minute = second = 0
    if time_match:
        hour, minute = int(time_match.group(1)), int(time_match.group(2))
        second = int(time_match.group(3) or 0)
        suffix = (time_match.group(4) or "").lower()
        if suffix in ("pm", "em") and hour < 12:
            hour += 12
        elif suffix in ("am", "fm") and hour == 12:
            hour = 0
        if hour > 23 or minute > 59 or second > 59:
            hour = minute = second = 0
    tz: dt.tzinfo = zone
    offset = _OFFSET.search(text)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        delta = dt.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        tz = dt.timezone(sign * delta)
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=tz)


# --- The attached original. ---


def attached_message(msg: Message) -> Message | None:
    """The first message/rfc822 part, at any depth."""
    for part in msg.walk():
        if part is not msg and part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                return inner
    return None


# --- The two shapes of a forward. ---

_LABELS = {
    "from": ("från", "from", "von", "de"),
    "date": ("skickat", "sent", "date", "datum", "skickades"),
    "to": ("till", "to", "kopia", "cc"),
    "subject": ("ämne", "subject", "rubrik"),
}
_HEADER_LINE = re.compile(r"^\s*(?:>\s*)*\**([A-Za-zÅÄÖåäö]+)\**\s*:\s*(.*)$")


def _label_of(word: str) -> str | None:
    word = word.lower()
    return next((key for key, names in _LABELS.items() if word in names), None)


def inline_header_block(text: str) -> dict[str, str] | None:
    """The first quoted header block with a sender and a date in the text, as
    {"from": …, "date": …, "subject": …}; None when there is none. The block is the run of
    "Label: value" lines around a sender line, in any order (Thunderbird puts Ämne and Datum
    before Från)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _HEADER_LINE.match(line)
        if not m or _label_of(m.group(1)) != "from":
            continue
        start = i
        while start > 0 and start > i - 6 and _HEADER_LINE.match(lines[start - 1]):
            start -= 1
        block: dict[str, str] = {}
        for j in range(start, min(i + 8, len(lines))):
            fm = _HEADER_LINE.match(lines[j])
            if not fm:
                if j > i and lines[j].strip().strip(">").strip():
                    break  # the quoted text begins
                continue
            key = _label_of(fm.group(1))
            if key and key not in block:
                block[key] = fm.group(2).strip()
        if block.get("from") and block.get("date"):
            return block
    return None


def _arrival(inner: Message, zone: ZoneInfo) -> dt.datetime | None:
    """When the original reached the office: the newest Received line's date, else its Date."""
    received = inner.get_all("Received") or []
    if received:
        stamp = str(received[0]).rsplit(";", 1)[-1]
        when = parse_header_date(stamp, zone)
        if when is not None:
            return when
    date = inner.get("Date")
    return parse_header_date(str(date), zone) if date else None


def find_original(raw: bytes, zone: ZoneInfo) -> Original | None:
    """The forwarded message inside `raw`, if it holds one."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    inner = attached_message(msg)
    if inner is not None:
        name, addr = _address_in(str(inner.get("From") or ""))
        if addr:
            return Original(
                sender=addr,
                sender_name=name,
                sent_at=_arrival(inner, zone),
                subject=str(inner.get("Subject") or "") or None,
                message_id=str(inner.get("Message-ID") or "").strip() or None,
                shape="attached",
            )
    block = inline_header_block(body_text(msg))
    if block is None:
        return None
    name, addr = _address_in(block["from"])
    return Original(
        sender=addr,
        sender_name=name,
        sent_at=parse_header_date(block["date"], zone),
        subject=block.get("subject"),
        message_id=None,
        shape="inline",
    )


# --- The pipeline's hook: a forward from an office address becomes the original's registration.


# Shown where the forward's quoted date is kept (the log, `casefile show`): information only.
SENT_PER_FORWARD = "skickad enligt vidarebefordran"
UNVERIFIED_FLAG = "vidarebefordran ej verifierad: avsändarens egen post"


@dataclass(frozen=True)
class StaffForward:
    """A forward from a staff address. `verified`: our own server vouched for the officer's
    address, and the mail stands for the original sender's; otherwise it stays the sender's own
    mail (a From at an office address proves nothing by itself) and staff are told."""

    officer: str
    original: Original
    parsed: ParsedMessage  # the message as if the original sender had sent it (when verified)
    received_at: dt.datetime  # always the forward's own arrival at our server
    verified: bool = True

    @property
    def flag(self) -> str | None:
        """For staff: a forward we did not take as one, or one that names its sender without
        an address (then the officer's mail, and someone must check the sender and the date).
        Short, so that `casefile show` (60 columns for a document's flag) shows it whole."""
        if not self.verified:
            return UNVERIFIED_FLAG
        if self.original.sender is not None:
            return None
        name = clean(self.original.sender_name, 60) or "?"
        sent = self.original.sent_at
        when = f" {sent.date().isoformat()}" if sent is not None else ""
        return f"vidarebefordrat, adress saknas: ”{name}”{when}"

    def record(
        self, session: Session, document: Document, msg: SourceMessage, actor: str = ""
    ) -> None:
        """A verified forward: the forwarding officer on the document and in the log, with the
        quoted date as information. The flag if any (an unverified one's by `actor`, the bot:
        nobody vouched for the officer)."""
        from casefile.events import log_event

        flag = self.flag
        if self.verified:
            document.registered_by = self.officer
            log_event(
                session,
                self.officer,
                "forwarded_by_staff",
                document=document,
                message=msg,
                officer=self.officer,
                sender=self.original.sender,
                shape=self.original.shape,
                original_date=self.original.sent_at.isoformat() if self.original.sent_at else None,
            )
        if flag is not None:
            document.flag = "; ".join(f for f in (document.flag, flag) if f)
            who = self.officer if self.verified else (actor or self.officer)
            log_event(session, who, "document_flagged", document=document, flag=flag)


def staff_forward(
    settings: Settings,
    load_raw: Callable[[], bytes],
    parsed: ParsedMessage,
    received_at: dt.datetime,
    verdict: str | None = None,
) -> StaffForward | None:
    """A forward of an outside sender's mail from one of `[registry] staff_addresses` (or an
    address in `staff_domains`). `load_raw` is called only for mail from such an address.
    `verdict` is our own server's on the From (intake/mail/authresults.py): only `verified`
    makes it a forward; anything else leaves the sender's own mail, flagged.

    The arrival date is always when the forward reached us: the quoted date is text the
    forwarder wrote, kept as information; staff correct the date (`casefile correct REF
    received_date DATE --reason …`) when the original came in earlier.

    When the quoted block shows the sender only by name, nothing says whether it was an outside
    sender's mail or a colleague's quoted in the officer's own: the mail stays the officer's
    (the officer gets the kvittens and can pass the number on), and the flag asks staff to
    check the sender and the date."""
    from casefile.states import AuthVerdict

    registry = settings.registry
    officer = parsed.from_address
    if not is_staff_address(officer, registry.staff_addresses, registry.staff_domains):
        return None
    assert officer is not None
    original = find_original(load_raw(), registry.zone)
    if original is None:
        return None
    if is_staff_address(original.sender, registry.staff_addresses, registry.staff_domains):
        return None  # a colleague's own mail passed on: no outside sender to answer
    if verdict != AuthVerdict.VERIFIED:
        return StaffForward(officer, original, parsed, received_at, verified=False)
    if original.sender is None:
        return StaffForward(officer, original, parsed, received_at)
    as_original = replace(
        parsed,
        from_address=original.sender,
        from_name=original.sender_name,
        message_id=original.message_id,
        in_reply_to=None,
        references=None,
        subject=original.subject or parsed.subject,
    )
    return StaffForward(officer, original, as_original, received_at)
