"""Building test messages: reports attached, forwarded, automatic, with odd file names."""

from __future__ import annotations

import datetime as dt
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

REPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def message(
    sender: str = "Anna Berg <anna.berg@bollnas.test>",
    subject: str = "Slutrapport",
    body: str = "Hej! Här kommer vår slutrapport.",
    attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    date: dt.datetime | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kontakt@finsam.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(
        idstring=uuid.uuid4().hex[:8], domain="bollnas.test"
    )
    msg["Date"] = format_datetime(date or dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for name, data in attachments:
        if name.lower().endswith(".pdf"):
            maintype, subtype = "application", "pdf"
        elif name.lower().endswith(".docx"):
            maintype, subtype = DOCX.split("/")
        else:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def forwarded(inner: EmailMessage, sender: str = "Bo Ek <bo.ek@bollnas.test>") -> EmailMessage:
    outer = message(sender=sender, subject=f"VB: {inner['Subject']}", body="Vidarebefordrar.")
    outer.add_attachment(inner)
    return outer
