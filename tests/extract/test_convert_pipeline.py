"""Converted shapes through the real intake path (issue 27): a real Dovecot in, a real aiosmtpd
out. An ODT attachment is converted by LibreOffice and registered like its DOCX."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Attachment
from tests.extract.test_shapes_pipeline import (
    account,
    dovecot,
    registered,
    run_intake,
    send,
    shapes_app,
    smtp,
)
from tests.support.dovecot import Account
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
