"""A report pasted into a mail's body: find the body that may hold it, and lay out plain text.

The HTML part is preferred (Word and Outlook paste a document as HTML with its tables); it is
converted to DOCX by LibreOffice (convert.py) and read by the DOCX reader, which keeps the
tables, headings and lists, the things the form reader keys on. Writing a second reader for
Word's HTML would duplicate that work for one shape. Plain text has no structure to keep: each
line is a paragraph, in order, the way a label and its value sit on consecutive lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from intake.extract.forms import FormDef
from intake.extract.layout import Layout, Para

# The kinds a body is read as (parse.read_layout), and its `source`.
BODY_HTML = "mail_body_html"
BODY_TEXT = "mail_body_text"
SOURCE = "mail_body"
# A body that does not even name a report is not worth a worker's time.
_REPORT_WORD = re.compile(r"rapport|ansökan|ans&ouml;kan", re.IGNORECASE)


def body_documents(raw: bytes, max_bytes: int) -> list[tuple[str, bytes]]:
    """(kind, UTF-8 bytes) of the bodies that may hold a report, best first: the text/html
    part, then the text/plain part (never an attachment); none larger than `max_bytes` or
    that does not mention a report at all."""
    # Imported here: reading a report file (parse.py) needs this module's constants only.
    import email
    import email.policy
    from email.message import EmailMessage

    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # a message the parser cannot take has no body we can read
        return []
    assert isinstance(msg, EmailMessage)
    found: dict[str, str] = {}
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/html", "text/plain") or ctype in found:
            continue
        try:
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes) or len(payload) > max_bytes:
                continue
            found[ctype] = payload.decode(part.get_content_charset() or "utf-8", "replace")
        except LookupError:  # an unknown charset
            continue
    out: list[tuple[str, bytes]] = []
    for ctype, kind in (("text/html", BODY_HTML), ("text/plain", BODY_TEXT)):
        text = found.get(ctype)
        if text is not None and _REPORT_WORD.search(text):
            out.append((kind, _as_utf8(text, kind)))
    return out


def _as_utf8(text: str, kind: str) -> bytes:
    if kind == BODY_HTML:
        # The part was decoded with its MIME charset; say so in the HTML, or LibreOffice would
        # trust a <meta charset> written for the original bytes.
        text = re.sub(r"<meta[^>]*charset[^>]*>", "", text, flags=re.IGNORECASE)
        text = '<meta http-equiv="content-type" content="text/html; charset=utf-8">' + text
    return text.encode("utf-8")


def bare_labels(forms: tuple[FormDef, ...]) -> Callable[[str], bool]:
    """Whether a line is a form's label and nothing else (no value, no colon)."""
    from intake.extract.labels import _aliases, _label_rest, _match_label

    aliases = [a for form in forms if not form.generic for a in _aliases(form)]

    def bare(line: str) -> bool:
        m = _match_label(line, aliases)
        if m is None:
            return False
        is_label, same, colon = _label_rest(m.rest)
        return is_label and not same and not colon

    return bare


def text_layout(text: str, is_label: Callable[[str], bool]) -> Layout:
    """Plain text as paragraphs, one per non-empty line, in order. A table pasted as text puts
    each cell on its own line, a label above its value: such a label gets the colon that makes
    the reader take the next line as its value ("Etikett:" alone on a line)."""
    paras: list[Para] = []
    for y, line in enumerate(text.lstrip("\ufeff").splitlines()):
        line = " ".join(line.split())
        if line:
            paras.append(Para(f"{line}:" if is_label(line) else line, float(y)))
    return Layout(paras, [], tol=0.01, source=SOURCE)
