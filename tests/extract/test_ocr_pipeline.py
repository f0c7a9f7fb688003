"""A scanned report and a phone photo of one through the real intake path (issue 27): a real
Dovecot in, a real aiosmtpd out. Read by OCR, each is registered and flagged for staff; the
sender gets the kvittens and never a completion request (an automatic mail to the public
goes out only when we are sure of what we read)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Attachment, SourceMessage
from tests.extract.test_shapes_pipeline import OURS, WHEN, registered, run_intake, send, shapes_app
from tests.intake.conftest import account, build_app, dovecot
from tests.outgoing.conftest import smtp
from tests.support.dovecot import Account
from tests.support.mail import message
from tests.support.smtp import SmtpServer

__all__ = ["account", "dovecot", "shapes_app", "smtp"]  # the fixtures

SCANS = Path(__file__).resolve().parent.parent / "fixtures" / "scans"


def test_a_scan_and_a_photo_are_registered_flagged_and_get_only_a_kvittens(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a scan lacking its signature page (a text report so would get a komplettering)
    and a photo of its first page, when both run through intake, then each is registered
    with the OCR finding, its title read, one kvittens and nothing else to its sender."""
    send(account, "maja@exempelby.test", "slutrapport.pdf", (SCANS / "s01_scan.pdf").read_bytes())
    send(account, "olle@exempelby.test", "IMG_2041.jpg", (SCANS / "s02_photo.jpg").read_bytes())
    run_intake(shapes_app)
    docs = registered(shapes_app)
    assert set(docs) == {"maja@exempelby.test", "olle@exempelby.test"}
    for sender, (doc, kinds) in docs.items():
        assert kinds == ["kvittens"], sender
        assert doc.status == "registered" and doc.title == "Kärnhuset 2.0"
        codes = {f["code"] for f in doc.findings}
        assert "read_by_ocr" in codes and not codes & {"missing_field", "unsigned"}
        reason = next(f["message"] for f in doc.findings if f["code"] == "read_by_ocr")
        assert reason.startswith("Läst med OCR (inskannad bild), kontrollera fälten")
        mails = [m for m in smtp.messages if sender in m.rcpt_tos]
        assert len(mails) == 1


@pytest.fixture
def no_ocr_app(db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer) -> Iterator[App]:
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        smtp=smtp.smtp_settings(),
        mail={"trusted_authserv_id": OURS},
        extraction={"ocr": False},
    )
    yield app
    app.engine.dispose()


def test_with_ocr_off_the_inbox_reason_says_the_file_is_a_scanned_image(
    no_ocr_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given `[extraction] ocr = false`, a scanned report registers nothing, and the inbox
    reason says it is a scanned image that was not read, not "ingen rapport bifogad"."""
    send(account, "maja@exempelby.test", "slutrapport.pdf", (SCANS / "s01_scan.pdf").read_bytes())
    run_intake(no_ocr_app)
    assert registered(no_ocr_app) == {}
    with no_ocr_app.sessions() as s:
        state = s.scalars(select(Attachment.state)).one()
        reason = s.scalars(select(SourceMessage.reason)).one() or ""
    assert state == "quarantined"
    assert "inskannad bild" in reason and "OCR är avstängt" in reason


def test_a_report_photographed_page_by_page_is_one_document_with_every_page(
    shapes_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a report's two pages photographed as two JPEG attachments of one mail (the first
    stored sideways with its EXIF tag), when intake runs, then they are read together in
    attachment order: one document, both files attached to it, the first page's fields and
    the second page's answers, and one kvittens."""
    import io
    import subprocess
    import tempfile

    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        scan = SCANS / "s01_scan.pdf"
        cmd = ["pdftoppm", "-r", "200", "-gray", "-f", "2", "-l", "2", str(scan), f"{tmp}/p"]
        subprocess.run(cmd, check=True)
        [page_2] = Path(tmp).glob("p-*.pgm")
        buf = io.BytesIO()
        with Image.open(page_2) as img:
            img.save(buf, format="JPEG", quality=85)
    msg: EmailMessage = message(
        sender="olle@exempelby.test",
        subject="Slutrapport",
        attachments=[
            ("IMG_2041.jpg", (SCANS / "s02_photo.jpg").read_bytes()),
            ("IMG_2042.jpg", buf.getvalue()),
        ],
        headers={"Authentication-Results": f"{OURS}; dmarc=pass header.from=exempelby.test"},
    )
    account.append(bytes(msg), WHEN)
    run_intake(shapes_app)
    [(doc, kinds)] = registered(shapes_app).values()
    assert kinds == ["kvittens"] and doc.title == "Kärnhuset 2.0"
    assert "Styrgruppen" in doc.sections["4.1"]  # from the second photo
    with shapes_app.sessions() as s:
        files = s.scalars(select(Attachment.filename).where(Attachment.document_id == doc.id)).all()
    assert sorted(files) == ["IMG_2041.jpg", "IMG_2042.jpg"]
