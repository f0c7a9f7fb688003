"""Converted shapes through the real intake path (issue 27): a real Dovecot in, a real aiosmtpd
out. An ODT attachment is converted by LibreOffice and registered like its DOCX; a report
pasted into the mail body is registered for staff, never asked to complete."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Attachment, SourceMessage
from tests.extract.test_shapes_pipeline import (
    WHEN,
    account,
    dovecot,
    registered,
    run_intake,
    send,
    shapes_app,
    smtp,
)
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import message
from tests.support.smtp import SmtpServer

__all__ = ["account", "dovecot", "shapes_app", "smtp"]  # the fixtures

CONVERTED = Path(__file__).resolve().parent.parent / "fixtures" / "converted"


def test_an_odt_attachment_is_registered(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a report saved as ODT, when it runs through intake, then it is registered with
    the fields of the report and the sender gets a kvittens."""
    data = (CONVERTED / "r01_cell_iso_endash.odt").read_bytes()
    send(account, "maja@exempelby.test", "slutrapport.odt", data)
    run_intake(shapes_app)
    doc, kinds = registered(shapes_app)["maja@exempelby.test"]
    assert kinds == ["kvittens"] and doc.status == "registered"
    assert doc.title == "Kärnhuset 2.0" and doc.fields["reference"] == "SFG 24-08.04"
    assert doc.fields["granted_sek"] == 2842390 and doc.submitter_signed
    with shapes_app.sessions() as s:
        row = s.scalars(select(Attachment)).one()
    assert (row.filename, row.state, row.document_id) == ("slutrapport.odt", "report", doc.id)
    assert row.media_type == "application/vnd.oasis.opendocument.text"


def send_body(account: Account, sender: str, text: str, html: str | None = None) -> None:
    """A mail with the report in its body (no attachment), from a verified sender."""
    auth = f"mx.finsam.test; dmarc=pass header.from={sender.split('@')[1]}"
    msg = message(sender=sender, body=text, headers={"Authentication-Results": auth})
    if html is not None:
        msg.add_alternative(html, subtype="html")  # as Outlook sends a pasted document
    account.append(bytes(msg), WHEN)


def test_a_report_in_the_mail_body_is_registered_for_staff(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given the report pasted into a mail as Word-like HTML (with its text version), the same
    as plain text without its signature, and a mail that only says a report is coming, when
    they run through intake, then the first two are registered from the body with a kvittens,
    flagged for staff and never asked to complete (the unsigned one included), and the third
    stays "ingen rapport bifogad"."""
    text = (CONVERTED / "r01_cell_iso_endash.txt").read_text(encoding="utf-8-sig")
    html = (CONVERTED / "r01_cell_iso_endash.html").read_text(encoding="utf-8")
    unsigned = text.replace("\nDatum\n2025-02-03\nNamn\nMaja Eklind Sjöberg", "")
    assert unsigned != text
    send_body(account, "maja@exempelby.test", text, html)
    send_body(account, "olle@exempelby.test", unsigned)
    send_body(account, "bo@exempelby.test", "Hej! Här kommer vår slutrapport.")
    run_intake(shapes_app)
    docs = registered(shapes_app)
    assert set(docs) == {"maja@exempelby.test", "olle@exempelby.test"}
    for sender, name in (("maja", "brevtext.html"), ("olle", "brevtext.txt")):
        doc, kinds = docs[f"{sender}@exempelby.test"]
        assert kinds == ["kvittens"] and doc.status == "registered"
        assert doc.title == "Kärnhuset 2.0" and doc.fields["granted_sek"] == 2842390
        assert doc.fields["contact_email"] == "Maja.Eklind-Sjoberg@Exempelby.se"
        assert doc.flag == "rapporten stod i brevets text"
        codes = {f["code"] for f in doc.findings}
        assert "read_from_mail_body" in codes and "unsigned" not in codes
        with shapes_app.sessions() as s:
            row = s.scalars(select(Attachment).where(Attachment.document_id == doc.id)).one()
        assert row.filename == name
    signed, _ = docs["maja@exempelby.test"]
    assert signed.submitter_signed and signed.sections == docs["olle@exempelby.test"][0].sections
    assert not docs["olle@exempelby.test"][0].submitter_signed
    with shapes_app.sessions() as s:
        bo = s.scalars(select(SourceMessage).where(SourceMessage.sender == "bo@exempelby.test"))
        assert bo.one().reason == "ingen rapport bifogad"


def test_with_conversion_off_the_odt_is_quarantined_and_the_body_read_as_text(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer
) -> None:
    """Given `[extraction] convert = false`, an ODT attachment is kept and quarantined with a
    one-line reason naming what to install; a report in an HTML body with its text version is
    read from the text."""
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        smtp=smtp.smtp_settings(),
        mail={"trusted_authserv_id": "mx.finsam.test"},
        extraction={"convert": False},
    )
    try:
        odt = (CONVERTED / "r01_cell_iso_endash.odt").read_bytes()
        text = (CONVERTED / "r01_cell_iso_endash.txt").read_text(encoding="utf-8-sig")
        html = (CONVERTED / "r01_cell_iso_endash.html").read_text(encoding="utf-8")
        send(account, "maja@exempelby.test", "slutrapport.odt", odt)
        send_body(account, "olle@exempelby.test", text, html)
        run_intake(app)
        docs = registered(app)
        assert set(docs) == {"olle@exempelby.test"}
        assert docs["olle@exempelby.test"][0].fields["reference"] == "SFG 24-08.04"
        with app.sessions() as s:
            rows = {a.message.sender: a for a in s.scalars(select(Attachment))}
            maja = s.scalars(
                select(SourceMessage).where(SourceMessage.sender == "maja@exempelby.test")
            ).one()
            assert (rows["maja@exempelby.test"].state, maja.state) == ("quarantined", "quarantined")
            assert rows["olle@exempelby.test"].filename == "brevtext.txt"
        assert "libreoffice-writer-nogui" in (maja.reason or "")
        assert "\n" not in (maja.reason or "")
        assert app.archive.get(rows["maja@exempelby.test"].sha256) == odt  # kept
    finally:
        app.engine.dispose()
