"""The registrar's acts through the pages, on SQLite and on PostgreSQL: each one lands in the
register as the CLI's would, and a form that cannot be carried out comes back with an error
summary that links to its field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case, Document, Event, SourceMessage
from tests.support.postgres import create_database, drop_database
from tests.web.conftest import Client, make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    if request.param == "sqlite":
        app = make_app(f"sqlite:///{tmp_path / 'web.db'}", tmp_path)
        yield app
        app.engine.dispose()
        return
    name, url = create_database()
    app = make_app(url, tmp_path)
    try:
        yield app
    finally:
        app.engine.dispose()
        drop_database(name)


def act(client: Client, token: str, **form: str) -> Any:
    return client.post("/akt", {"csrf": token, "back": "/arende/SFG%2026-01.01", **form})


def test_a_registrar_s_acts_land_in_the_register(any_app: App) -> None:
    from casefile.db.engine import read_only
    from casefile.queries import DocumentFilter, list_documents

    # The list's pages (a deep page skips on the index) give the rows of the whole list
    with read_only(any_app.engine) as conn:
        whole = [d["diarienummer"] for d in list_documents(conn, DocumentFilter(limit=None))]
        paged = [
            d["diarienummer"]
            for k in range(len(whole))
            for d in list_documents(conn, DocumentFilter(limit=1, offset=k))
        ]
    assert len(whole) == 2 and paged == whole
    client = Client(any_app, "anna@forbund.test")
    token = client.csrf()
    doc = "SFG 26-01.01"
    done = act(client, token, act="sign", ref=doc)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "signerat av AKH" in page.text and 'role="status"' in page.text
    assert (
        act(client, token, act="note", ref=doc, text="Ringde om underskriften").status_code == 303
    )
    fixed = act(client, token, act="correct", ref=doc, field="title", value="Kärnhuset 3.0")
    assert fixed.status_code == 303
    # An unsign without a reason: the page again, an error summary linking to the field
    refused = act(client, token, act="unsign", ref=doc, reason=" ")
    assert refused.status_code == 400
    text = refused.text
    assert 'href="#unsign-reason"' in text and 'id="unsign-reason"' in text
    assert 'aria-invalid="true" aria-describedby="unsign-reason-error"' in text
    bad_due = act(client, token, act="due", ref="SFG 26-01", date="31/12")
    assert bad_due.status_code == 400 and 'href="#due-date"' in bad_due.text
    # A register error (already signed) is shown as it is, in Swedish
    again = act(client, token, act="sign", ref=doc)
    assert again.status_code == 400 and "redan signerat av AKH" in again.text
    assert act(client, token, act="cancel", ref=doc, reason="Dubblett").status_code == 303
    assert act(client, token, act="close", ref="SFG 26-01", reason="Klar").status_code == 303
    assert act(client, token, act="reopen", ref="SFG 26-01").status_code == 303
    assert act(client, token, act="due", ref="SFG 26-01", date="2027-03-31").status_code == 303
    # The inbox's newsletter: read, then dismissed with a reason
    inbox = client.get("/inkorg").text
    found = re.search(r'href="/inkorg/(\d+)"', inbox)
    assert found and "Nyhetsbrev februari" in inbox
    mail_id = found.group(1)
    mail = client.get(f"/inkorg/{mail_id}")
    assert "seminarium om samverkan" in mail.text
    assert act(client, token, act="dismiss", ref=mail_id, reason="Nyhetsbrev").status_code == 303
    assert "Nyhetsbrev februari" not in client.get("/inkorg").text
    with any_app.sessions() as s:
        d = s.scalars(select(Document).where(Document.diarienummer == doc)).one()
        assert d.signature == "AKH" and d.cancelled and d.cancel_reason == "Dubblett"
        assert d.title == "Kärnhuset 3.0"
        case = s.scalars(select(Case).where(Case.number == "SFG 26-01")).one()
        assert case.status == "open" and str(case.due_date) == "2027-03-31"
        msg = s.get(SourceMessage, int(mail_id))
        assert msg is not None and msg.dismissed_by == "AKH"
        actions = s.scalars(select(Event.action).where(Event.actor == "AKH")).all()
    for action in (
        "document_signed",
        "note",
        "document_cancelled",
        "case_closed",
        "case_reopened",
        "due_date_set",
        "message_dismissed",
    ):
        assert action in actions
    # The history on the case page tells it, in the registry's words
    history = client.get("/arende/SFG 26-01").text
    assert "Ringde om underskriften" in history and "Dubblett" in history


def test_pages_speak_english_with_casefile_lang(
    web_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(web_app, "anna@forbund.test")
    assert 'lang="sv"' in client.get("/dokument").text
    monkeypatch.setenv("CASEFILE_LANG", "en")
    page = client.get("/dokument").text
    assert 'lang="en"' in page and "Documents" in page and "Skip to content" in page
    assert "Dokument<" not in page


def test_secrecy_move_contact_and_an_attachment(web_app: App) -> None:
    client = Client(web_app, "anna@forbund.test")
    token = client.csrf()
    doc = "SFG 26-01.01"
    bad = act(client, token, act="contact", ref="SFG 26-01", address="inte en adress")
    assert bad.status_code == 400 and 'href="#contact-address"' in bad.text
    assert "ingen e-postadress" in bad.text
    assert act(client, token, act="contact", ref="SFG 26-01", address="a@b.se").status_code == 303
    secret = act(client, token, act="secrecy", ref=doc, provision="OSL 21 kap. 1 §")
    assert secret.status_code == 303
    moved = act(client, token, act="move", ref=doc, target="SFG 26-02")
    assert moved.status_code == 303
    with web_app.sessions() as s:
        d = s.scalars(select(Document).where(Document.diarienummer == doc)).one()
        assert d.secrecy_provision == "OSL 21 kap. 1 §" and d.case.number == "SFG 26-02"
        case = s.scalars(select(Case).where(Case.number == "SFG 26-01")).one()
        assert case.confirmed_contact_email == "a@b.se" and case.confirmed_contact_by == "AKH"
    # The inbox mail's attachment, downloaded as a file (never shown inline)
    found = re.search(r'href="/inkorg/(\d+)"', client.get("/inkorg").text)
    assert found
    got = client.get(f"/inkorg/{found.group(1)}/bilaga/1")
    assert got.status_code == 200 and got.content == "Program för seminariet".encode()
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "program.txt" in got.headers["content-disposition"]
    assert client.get(f"/inkorg/{found.group(1)}/bilaga/9").status_code == 404


def test_an_inbox_attachment_is_registered_from_the_mail_page(web_app: App) -> None:
    client = Client(web_app, "anna@forbund.test")
    token = client.csrf()
    found = re.search(r'href="/inkorg/(\d+)"', client.get("/inkorg").text)
    assert found
    mail_id = found.group(1)
    form = {"act": "register_attachment", "ref": mail_id, "n": "1", "back": "/inkorg"}
    # Not a report, no title: refused as the CLI refuses, the summary links to the title
    refused = act(client, token, **form)
    assert refused.status_code == 400 and 'href="#register-title-1"' in refused.text
    done = act(client, token, **form, title="Seminarieprogram")
    assert done.status_code == 303
    assert done.headers["location"].startswith("/arende/SFG%2026-03.01?")
    assert "Registrerad som SFG 26-03.01" in client.get(done.headers["location"]).text
    assert "Nyhetsbrev februari" not in client.get("/inkorg").text
    with web_app.sessions() as s:
        d = s.scalars(select(Document).where(Document.diarienummer == "SFG 26-03.01")).one()
        assert (d.title, d.channel, d.registered_by) == ("Seminarieprogram", "email", "AKH")
        assert d.sender == "info@nyhetsbrev.test"
        msg = s.get(SourceMessage, int(mail_id))
        assert msg is not None and msg.dismiss_reason == "registrerad som SFG 26-03.01"


def test_paper_post_is_registered_with_an_upload(web_app: App) -> None:
    from tests.support.mail import REPORTS

    client = Client(web_app, "anna@forbund.test")
    token = client.csrf("/registrera")
    fields = {"csrf": token, "from": "Ovanåkers kommun", "received": "2026-02-10"}
    missing = client.http.post("/registrera", data=fields, headers=client.headers)
    assert missing.status_code == 400 and 'href="#register-file"' in missing.text
    report = (REPORTS / "r03_right_sdt_overspent.docx").read_bytes()
    files = {"file": ("rapport.docx", report, "application/octet-stream")}
    done = client.http.post("/registrera", data=fields, files=files, headers=client.headers)
    assert done.status_code == 303, done.text
    number = done.headers["location"].split("/arende/")[1].split("?")[0].replace("%20", " ")
    with web_app.sessions() as s:
        d = s.scalars(select(Document).where(Document.diarienummer == number)).one()
        assert (d.channel, d.registered_by, d.kind) == ("post", "AKH", "slutrapport")
        assert str(d.received_date) == "2026-02-10" and d.sender == "Ovanåkers kommun"
    # Without the form's token, or as a handläggare, nothing is registered
    assert (
        client.http.post(
            "/registrera", data={**fields, "csrf": ""}, files=files, headers=client.headers
        ).status_code
        == 403
    )
    officer = Client(web_app, "bo@forbund.test")
    assert officer.get("/registrera").status_code == 403


def test_a_failed_mail_is_sent_again_from_the_outbox(web_app: App) -> None:
    from casefile.db.models import OutboxMail

    with web_app.sessions() as s, s.begin():
        row = s.scalars(select(OutboxMail).order_by(OutboxMail.id)).first()
        assert row is not None, "intake queued no acknowledgement"
        row.state, row.last_error, mail_id = "failed", "550 mailbox unavailable", row.id
    client = Client(web_app, "anna@forbund.test")
    page = client.get("/utkorg")
    assert "550 mailbox unavailable" in page.text and f"Skicka igen {mail_id}" in page.text
    token = client.csrf("/utkorg")
    form = {"act": "requeue", "ref": str(mail_id), "back": "/utkorg", "csrf": token}
    done = client.post("/akt", form)
    assert done.status_code == 303 and done.headers["location"].startswith("/utkorg?")
    with web_app.sessions() as s:
        again = s.get(OutboxMail, mail_id)
        assert again is not None and again.state == "queued"
    # A handläggare sees the outbox but may not decide to send again
    officer = Client(web_app, "bo@forbund.test")
    assert f"Skicka igen {mail_id}" not in officer.get("/utkorg").text
    assert officer.post("/akt", {**form, "csrf": officer.csrf("/utkorg")}).status_code == 403


def test_the_exports_are_downloaded(web_app: App) -> None:
    import io
    import zipfile

    from openpyxl import load_workbook

    client = Client(web_app, "anna@forbund.test")
    board = client.get("/export/styrelse?from=2026-01-01&to=2026-12-31&format=html")
    assert board.status_code == 200 and "attachment" in board.headers["content-disposition"]
    assert "Kärnhuset" in board.text
    finsam = client.get("/export/finsam?year=2026")
    assert finsam.status_code == 200
    assert load_workbook(io.BytesIO(finsam.content)).active is not None
    bad = client.get("/export/finsam?year=26")
    assert bad.status_code == 400 and 'href="#finsam-year"' in bad.text
    token = client.csrf()
    assert act(client, token, act="close", ref="SFG 26-01").status_code == 303
    package = client.get("/export/arkiv?closed_before=2099-01-01")
    assert package.status_code == 200, package.text
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    assert any(n.endswith("METS.xml") for n in names)
    # A läsare has the public diary only
    reader = Client(web_app, "lars@forbund.test")
    assert reader.get("/export/finsam?year=2026").status_code == 403
    assert reader.get("/export/arkiv?closed_before=2099-01-01").status_code == 403


def test_a_document_s_file_and_its_registration_copy(web_app: App) -> None:
    from tests.support.mail import REPORTS

    client = Client(web_app, "anna@forbund.test")
    page = client.get("/arende/SFG 26-01.01").text
    link = re.search(r'href="(/handling/[^"]+/fil/([0-9a-f]{64}))"', page)
    assert link, "no file link on the document's page"
    got = client.get(link.group(1))
    original = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
    assert got.status_code == 200 and got.content == original
    # A hash the document does not have is not served, even if the archive holds it
    other = re.search(r"/fil/([0-9a-f]{64})", client.get("/arende/SFG 26-02.01").text)
    assert other
    assert client.get(f"/handling/SFG%2026-01.01/fil/{other.group(1)}").status_code == 404
    copy = client.get("/handling/SFG%2026-01.01/kopia")
    assert copy.status_code == 200 and copy.content[:2] == b"PK" and copy.content != original
    assert "registreringskopia.docx" in copy.headers["content-disposition"]
    reader = Client(web_app, "lars@forbund.test")
    assert reader.get(link.group(1)).status_code == 403
