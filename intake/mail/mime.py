"""Parse a raw message into what intake needs: a few headers and the attached files.

Attachments are collected from the whole MIME tree, including inside forwarded message/rfc822
parts, with RFC 2231 / RFC 2047 file names decoded by the standard library's policy.default.
Parsing never raises on odd mail: defects are recorded, not fatal, and what could not be read
is named in `notes` so staff learn why.

This module is the one boundary where text taken from mail is cleaned (`clean`): no NUL or
control characters, no lone surrogates, and a length cap, so the register takes the same values
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import email.utils
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

# Attachments deeper than this many MIME levels are named in the notes, not read.
MAX_DEPTH = 50
# A message with more MIME parts than this is not parsed beyond its headers.
MAX_PARTS = 1000
_PART_HEADER = re.compile(rb"^content-type:", re.IGNORECASE | re.MULTILINE)
# References used to find the case a message answers: the newest ones are the ones that count.
MAX_REFERENCES = 50

# The headers a parsed message keeps (ParsedMessage.headers): every header a rule of
# classify.py reads. Owned here, where they are kept; classify.py imports them.
HEADERS: tuple[str, ...] = (
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "List-Post",
    "Mailing-List",
    "List-Help",
    "List-Subscribe",
    "List-Owner",
    "List-Archive",
    "X-Mailman-Version",
    "X-BeenThere",
    "X-Loop",
    "X-OTRS-Loop",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Reply",
    "X-Auto-Response-Suppress",
    "Return-Path",
    "To",
    "Cc",
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
)

# Length caps (characters) for values stored from mail; String(255) columns get 255.
SHORT = 255
ID_LENGTH = 500  # Message-ID is indexed: PostgreSQL's btree entries stop near 2.7 kB
TEXT_LENGTH = 2000

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_MSGID = re.compile(r"<[^<>\s]{1,490}>")


def clean(value: str | None, limit: int = TEXT_LENGTH) -> str | None:
    """Text from mail made safe for any database: no control characters, valid UTF-8, capped."""
    if value is None:
        return None
    # Raw 8-bit header bytes arrive as lone surrogates (surrogateescape): decode them for real.
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text[:limit]


def header_block_size(raw: bytes) -> int:
    """Bytes before the blank line that ends the top-level header block (all of it if none)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else len(raw)


_BOM = b"\xef\xbb\xbf"
# A field name, then blanks before its colon ("From  : x", as old mail programs wrote it).
_SPACED_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)


def readable_headers(raw: bytes) -> bytes:
    """`raw` with what hides its header block from the standard parser taken away: a UTF-8 byte
    order mark before the first header, and blanks between a field name and its colon (the
    parser reads "From  :" as no header at all). The body is never touched; unchanged mail is
    returned as it is, without a copy."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    end = header_block_size(raw)
    head = raw[:end]
    if _SPACED_NAME.search(head) is None:
        return raw
    return _SPACED_NAME.sub(rb"\1:", head) + raw[end:]


NO_SENDER_NOTE = "avsändarens adress (From) kunde inte läsas: ingen kvittens"


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
    # What was found but not read, and why (too deep, TNEF, an oversized part header).
    notes: list[str] = field(default_factory=list)
    # A delivery report (intake/mail/bounce.py): the Message-IDs and subjects it returns.
    returned_ids: tuple[str, ...] = ()
    returned_subjects: tuple[str, ...] = ()

    @property
    def referenced_ids(self) -> list[str]:
        """Message-IDs this message answers, newest first (In-Reply-To, then References)."""
        ids: list[str] = []
        seen: set[str] = set()
        refs = _MSGID.findall(self.references or "")[-MAX_REFERENCES:]
        for token in [*_MSGID.findall(self.in_reply_to or ""), *reversed(refs)]:
            if token not in seen:
                seen.add(token)
                ids.append(token)
        return ids[:MAX_REFERENCES]


def _header(msg: Message, name: str, limit: int = TEXT_LENGTH) -> str | None:
    try:
        value = msg.get(name)
    except Exception:
        # A malformed header must not stop intake: take it as written. (Not get_all: it runs
        # the same header parser, which is what raised.)
        value = _raw_header(msg, name)
    if value is None:
        return None
    return clean(str(value), limit)


def _raw_header(msg: Message, name: str) -> str | None:
    """A header as received, unparsed: message ids need no decoding, and the parser's cost
    grows faster than linearly with a header's length."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _ids(msg: Message, name: str) -> str | None:
    """The newest MAX_REFERENCES message ids of a header: older ones name no case we know."""
    value = _raw_header(msg, name)
    if value is None:
        return None
    ids = _MSGID.findall(value)[-MAX_REFERENCES:]
    return " ".join(ids) if ids else clean(value, ID_LENGTH)


def _address(msg: Message) -> tuple[str, str | None]:
    raw = _header(msg, "From") or ""
    name, addr = email.utils.parseaddr(raw)
    addr = addr.strip()
    if not addr or "@" not in addr or len(addr) > 320 or any(c in addr for c in "\r\n<>\"' "):
        return clean(name, SHORT) or "", None
    return clean(name, SHORT) or "", addr


DOCUMENT_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
    "application/octet-stream",
}
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


def _raw_header_bytes(part: Message) -> int:
    return sum(len(k) + len(str(v)) for k, v in part.raw_items())


def _filename(part: Message) -> str | None:
    try:
        return clean(part.get_filename(), SHORT)
    except Exception:
        return None


def _is_attachment(part: Message, filename: str | None) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment" or filename:
        # Inline parts with a file name are attachments too (Outlook, Apple Mail).
        return True
    return part.get_content_type() in DOCUMENT_TYPES


def _children(part: Message) -> list[Message]:
    if part.get_content_type() == "message/rfc822" or part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            return [p for p in payload if isinstance(p, Message)]
    return []


def _walk(root: Message, max_header_bytes: int) -> tuple[list[AttachedFile], list[str]]:
    """Every attached file in the tree, depth first, without recursion (any depth is safe)."""
    out: list[AttachedFile] = []
    notes: list[str] = []
    deep = 0
    stack: list[tuple[Message, int]] = [(root, 0)]
    while stack:
        part, depth = stack.pop()
        if depth and _raw_header_bytes(part) > max_header_bytes:
            notes.append(f"en del med för stort huvud (över {max_header_bytes} byte) lästes inte")
            continue
        children = _children(part)
        if children:
            stack.extend((child, depth + 1) for child in reversed(children))
            continue
        if depth == 0:
            continue
        filename = _filename(part)
        if not _is_attachment(part, filename):
            continue
        if depth > MAX_DEPTH:
            deep += 1
            if deep == 1:
                notes.append(
                    f"bilagan {filename or '(utan namn)'} ligger {depth} MIME-nivåer djupt "
                    f"(gräns {MAX_DEPTH}) och lästes inte"
                )
            continue
        content_type = clean(part.get_content_type(), SHORT) or "application/octet-stream"
        if content_type in TNEF_TYPES or (filename or "").lower() == "winmail.dat":
            notes.append(
                f"{filename or 'winmail.dat'} är Outlooks TNEF-format, som inte kan läsas; "
                "be avsändaren skicka rapporten som DOCX eller PDF"
            )
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if isinstance(data, bytes):
            out.append(AttachedFile(filename=filename, content_type=content_type, data=data))
    if deep > 1:
        notes.append(f"ytterligare {deep - 1} bilagor låg för djupt och lästes inte")
    return out, notes


def _headers_only(raw: bytes) -> EmailMessage:
    msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
    assert isinstance(msg, EmailMessage)
    return msg


def _parse(raw: bytes) -> tuple[EmailMessage, list[str]]:
    # The standard parser's time grows faster than linearly with the number of parts (60,000
    # tiny ones: 40 s): count them first, cheaply, and read only the headers of such a message.
    parts = len(_PART_HEADER.findall(raw))
    if parts > MAX_PARTS:
        return _headers_only(raw), [
            f"meddelandet har omkring {parts} MIME-delar (gräns {MAX_PARTS}); bilagorna lästes "
            "inte, originalet finns i arkivet"
        ]
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except RecursionError:
        # The standard parser recurses once per MIME level: keep the headers, name the problem.
        return _headers_only(raw), [
            "meddelandet är nästlat i för många MIME-nivåer; bilagorna lästes inte"
        ]
    assert isinstance(msg, EmailMessage)
    return msg, []


def parse_message(
    raw: bytes, max_header_bytes: int = 64 * 1024, loop_header: str | None = None
) -> ParsedMessage:
    """`loop_header` is `[mail] loop_header`, kept for the rules whatever its name."""
    msg, notes = _parse(readable_headers(raw))
    name, addr = _address(msg)
    attachments: list[AttachedFile] = []
    if not notes:
        try:
            attachments, notes = _walk(msg, max_header_bytes)
        except RecursionError:
            notes = ["meddelandet är nästlat i för många MIME-nivåer; bilagorna lästes inte"]
    if addr is None:
        # Not a sign of a machine (README, *Nothing lost*): a person looks at it.
        notes.append(NO_SENDER_NOTE)
    from intake.mail.bounce import is_delivery_report, returned

    interesting = [*HEADERS, "Sender"]
    if loop_header:
        interesting.append(loop_header)
    headers = {h.lower(): v for h in interesting if (v := _header(msg, h)) is not None}
    for key in msg:
        if key.lower().startswith("x-") and "loop" in key.lower():
            value = _header(msg, key)
            if value is not None:
                headers[key.lower()] = value
    content_type = clean(msg.get_content_type(), SHORT) or "text/plain"
    back = (
        returned(msg) if is_delivery_report(content_type, headers.get("return-path", "")) else None
    )
    return ParsedMessage(
        message_id=clean(_raw_header(msg, "Message-ID"), ID_LENGTH),
        in_reply_to=_ids(msg, "In-Reply-To"),
        references=_ids(msg, "References"),
        subject=_header(msg, "Subject") or "",
        from_address=addr,
        from_name=name,
        date_header=_header(msg, "Date", SHORT),
        headers=headers,
        content_type=content_type,
        attachments=attachments,
        notes=notes,
        returned_ids=tuple(c for i in back.message_ids if (c := clean(i, ID_LENGTH)))
        if back
        else (),
        returned_subjects=tuple(c for t in back.subjects if (c := clean(t, SHORT))) if back else (),
    )


def message_tree(raw: bytes) -> tuple[EmailMessage, list[str]]:
    """The MIME tree as intake reads it (bounded in parts, no recursion error), with notes on
    what was not read. The caller checks the header block's size first (header_block_size)."""
    return _parse(readable_headers(raw))


# --- The text a person reads (casefile mail, and forward.py's inline header block). ---


def _decoded(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except Exception:
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>|</li>", "\n", markup)
    markup = re.sub(r"<[^>]+>", " ", markup)
    lines = [" ".join(html.unescape(line).split()) for line in markup.splitlines()]
    return "\n".join(line for line in lines if line)


def body_text(msg: Message) -> str:
    """The message's own text (not an attached message's): text/plain, else text/html made plain."""
    plain: str | None = None
    markup: str | None = None
    for part in _own_parts(msg):
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and markup is None:
            markup = _decoded(part)
    if plain is not None and plain.strip():
        return plain
    return html_to_text(markup) if markup else (plain or "")


def _own_parts(msg: Message) -> list[Message]:
    if msg.get_content_type() == "message/rfc822":
        return []
    if not msg.is_multipart():
        return [msg]
    out: list[Message] = []
    for part in msg.get_payload():
        if isinstance(part, Message):
            out.extend(_own_parts(part))
    return out
