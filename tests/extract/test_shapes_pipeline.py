"""Reports in every shape through the real intake path (issue 27): a real Dovecot in, a real
aiosmtpd out, the database of the run. The first concern is no wrong mail: a form whose labels
were found with empty values is registered for staff and never asked to complete."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Attachment, Document, OutboxMail, SourceMessage
from intake.mail.poll import poll_all
from intake.outgoing import flush_outbox
from tests.intake.conftest import account, build_app, dovecot
from tests.outgoing.conftest import smtp
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.smtp import SmtpServer

__all__ = ["account", "dovecot", "smtp"]  # the Dovecot and aiosmtpd fixtures

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"
OURS = "mx.finsam.test"
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)


@pytest.fixture
def shapes_app(db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer) -> Iterator[App]:
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        smtp=smtp.smtp_settings(),
        mail={"trusted_authserv_id": OURS},
    )
    yield app
    app.engine.dispose()


def send(account: Account, sender: str, name: str, data: bytes) -> None:
    """A mail from a verified sender (DMARC pass), so a completion request could go out."""
    domain = sender.split("@")[1]
    auth = f"{OURS}; dmarc=pass header.from={domain}"
    msg: EmailMessage = message(
        sender=sender,
        subject="Slutrapport",
        attachments=[(name, data)],
        headers={"Authentication-Results": auth},
    )
    account.append(bytes(msg), WHEN)


def run_intake(app: App) -> None:
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]
    flush_outbox(app.sessions, app.settings)


def registered(app: App) -> dict[str, tuple[Document, list[str]]]:
    """Each registered document by its sender, with the kinds of mail queued for it."""
    out: dict[str, tuple[Document, list[str]]] = {}
    with app.sessions() as s:
        for doc in s.scalars(select(Document)):
            kinds = s.scalars(select(OutboxMail.kind).where(OutboxMail.document_id == doc.id))
            out[str(doc.sender)] = (doc, sorted(kinds))
    return out


def test_a_form_with_labels_but_empty_values_gets_no_completion_request(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a fillable PDF sent with its labels but no value the reader can see, and beside it
    a report really lacking its signature, when both run through intake, then the second gets
    a komplettering and the first only a kvittens, registered for staff with the reason."""
    blank = (SHAPES / "f02_fillable_form_blank.pdf").read_bytes()
    unsigned = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()
    send(account, "lovisa@ekby.test", "slutrapport.pdf", blank)
    send(account, "anna@vastera.test", "slutrapport.docx", unsigned)
    run_intake(shapes_app)
    docs = registered(shapes_app)
    control, control_kinds = docs["anna@vastera.test"]
    assert control.status == "incomplete" and control_kinds == ["komplettering", "kvittens"]
    doc, kinds = docs["lovisa@ekby.test"]
    assert kinds == ["kvittens"]
    assert doc.status == "registered"
    codes = {f["code"] for f in doc.findings}
    assert "values_not_read" in codes and not codes & {"missing_field", "unsigned"}
    to_lovisa = [m for m in smtp.messages if "lovisa@ekby.test" in m.rcpt_tos]
    assert len(to_lovisa) == 1  # the kvittens, nothing else


def test_a_fillable_pdf_is_registered_with_its_field_values(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a fillable PDF whose values live only in its form fields, when it runs through
    intake, then the document carries those values and the sender gets only the kvittens."""
    data = (SHAPES / "f01_fillable_form.pdf").read_bytes()
    send(account, "lovisa@ekby.test", "slutrapport.pdf", data)
    run_intake(shapes_app)
    doc, kinds = registered(shapes_app)["lovisa@ekby.test"]
    assert kinds == ["kvittens"] and doc.status == "registered"
    assert doc.title == "Gemensam väg in Ekby" and doc.organisation == "Ekby kommun"
    assert doc.fields["contact_email"] == "lovisa.bergqvist@ekby.se"
    assert doc.fields["granted_sek"] == 450000 and doc.submitter_signed
    assert doc.sections["5.1"].startswith("Målet att trettio deltagare")


def test_a_zip_attachment_is_registered_from_its_report_entries(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given one mail with a zip holding the report as DOCX and PDF, and another with a zip
    inside a zip, then the first registers one document with both entries and a kvittens,
    the zip itself kept with the message; the second registers nothing and names the inner
    zip in the inbox reason."""
    both = (SHAPES / "z01_docx_and_pdf.zip").read_bytes()
    nested = (SHAPES / "z02_zip_in_zip.zip").read_bytes()
    send(account, "maja@exempelby.test", "slutrapport.zip", both)
    send(account, "olle@exempelby.test", "rapporter.zip", nested)
    run_intake(shapes_app)
    docs = registered(shapes_app)
    assert set(docs) == {"maja@exempelby.test"}
    doc, kinds = docs["maja@exempelby.test"]
    assert kinds == ["kvittens"] and doc.title == "Kärnhuset 2.0"
    assert doc.fields["reference"] == "SFG 24-08.04"
    with shapes_app.sessions() as s:
        rows = {
            (a.message.sender, a.filename): (a.state, a.document_id)
            for a in s.scalars(select(Attachment))
        }
        reasons = {m.sender: m.reason or "" for m in s.scalars(select(SourceMessage))}
    assert rows[("maja@exempelby.test", "slutrapport.zip")] == ("other", None)
    assert rows[("maja@exempelby.test", "slutrapport.docx")] == ("report", doc.id)
    assert rows[("maja@exempelby.test", "slutrapport.pdf")] == ("report", doc.id)
    assert rows[("olle@exempelby.test", "inre.zip")][0] == "quarantined"
    assert "inre.zip" in reasons["olle@exempelby.test"]
    # The zip as received is in the archive, inside its message.
    with shapes_app.sessions() as s:
        query = select(SourceMessage.raw_sha256).where(
            SourceMessage.sender == "maja@exempelby.test"
        )
        raw = email.message_from_bytes(shapes_app.archive.get(s.scalars(query).one()))
    parts = [p.get_payload(decode=True) for p in raw.walk() if p.get_filename()]
    assert parts == [both]
