"""E-signed reports through the real intake path (issue 29): a real Dovecot in, a real aiosmtpd
out, the database of the run. A report e-signed with a trusted signature and an empty section 8
is not asked to type a name; a broken signature is flagged for staff, never mailed about; the
signer's personnummer (the certificate's serialNumber) is in no mail and not in `show --json`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_shapes_pipeline import registered, run_intake, send
from test_signatures import UNSIGNED_REPORT, make_signed

from casefile.app import App
from casefile.cli import cli
from intake.extract.signatures import BROKEN_FLAG
from tests.intake.conftest import account, build_app, dovecot
from tests.outgoing.conftest import smtp
from tests.support.dovecot import Account
from tests.support.smtp import Received, SmtpServer

__all__ = ["account", "dovecot", "smtp"]  # the Dovecot and aiosmtpd fixtures

OURS = "mx.finsam.test"


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths: dict[str, Path] = make_signed.write_all(
        UNSIGNED_REPORT, tmp_path_factory.mktemp("signed")
    )
    return paths


@pytest.fixture
def signed_app(
    db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer, signed: dict[str, Path]
) -> Iterator[App]:
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        smtp=smtp.smtp_settings(),
        mail={"trusted_authserv_id": OURS},
        signatures={"trust_roots": [str(signed["roots.pem"])]},
    )
    yield app
    app.engine.dispose()


def mail_text(received: Received) -> str:
    """Headers and every text part of a mail, decoded."""
    msg = received.message
    parts = [str(v) for v in msg.values()]
    parts.extend(str(p.get_content()) for p in msg.walk() if p.get_content_maintype() == "text")
    return "\n".join(parts)


def show(app: App, tmp_path: Path, case: str, *extra: str, command: str = "show") -> str:
    config = tmp_path / "show.toml"
    config.write_text(
        f'[database]\nurl = "{app.settings.database.url}"\n'
        f'[storage]\npath = "{app.settings.storage.path}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), command, case, *extra])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_an_e_signed_report_with_empty_section_8_gets_no_completion_request(
    signed_app: App, account: Account, smtp: SmtpServer, signed: dict[str, Path], tmp_path: Path
) -> None:
    """Given the same report with section 8 empty, once e-signed by a trusted signer and once
    not signed at all, when both run through intake, then the unsigned one is asked to
    complete and the e-signed one gets only its kvittens, registered as signed; `show` says
    who signed, and the personnummer in the certificate is in no mail and not in the JSON."""
    send(account, "katarina@vastera.test", "slutrapport.pdf", signed["person.pdf"].read_bytes())
    send(account, "anna@vastera.test", "slutrapport.pdf", UNSIGNED_REPORT.read_bytes())
    run_intake(signed_app)
    docs = registered(signed_app)
    control, control_kinds = docs["anna@vastera.test"]
    assert control.status == "incomplete" and control_kinds == ["komplettering", "kvittens"]
    doc, kinds = docs["katarina@vastera.test"]
    assert kinds == ["kvittens"]
    assert doc.status == "registered" and doc.submitter_signed
    assert not {f["code"] for f in doc.findings} & {"unsigned", "missing_field"}

    data = json.loads(show(signed_app, tmp_path, doc.diarienummer, "--json"))
    [shown] = [d for d in data["documents"] if d["diarienummer"] == doc.diarienummer]
    assert shown["signature_status"] == "e_signed" and shown["submitter_signed"] is True
    assert [(s["kind"], s["signer"], s["trusted"]) for s in shown["signatures"]] == [
        ("digital", "Katarina Gröndahl", True)
    ]
    human = show(signed_app, tmp_path, doc.diarienummer)
    assert "e-underskrift: Katarina Gröndahl, giltig, betrodd, 2026-01-29 10:12" in human

    pnr = make_signed.PERSONNUMMER
    assert pnr not in json.dumps(data, ensure_ascii=False) and pnr[2:] not in human

    # The result of the check is kept beside the original, listed by `casefile file`.
    files = json.loads(show(signed_app, tmp_path, doc.diarienummer, "--json", command="file"))
    [report_file] = [f for f in files if f["part"] == "validation_report"]
    assert report_file["name"] == "slutrapport.valideringsrapport.json"
    assert report_file["media_type"] == "application/json"
    report_bytes = signed_app.archive.get(report_file["sha256"])
    report = json.loads(report_bytes)
    original = signed["person.pdf"].read_bytes()
    assert report["document_sha256"] == hashlib.sha256(original).hexdigest()
    assert dt.datetime.fromisoformat(report["checked_at"]).tzinfo is not None
    assert report["validator"]["pyHanko"] and "offline" in report["validator"]["method"]
    root_der = ssl.PEM_cert_to_DER_cert(signed["roots.pem"].read_text())
    assert report["trust_roots"]["certificates"] == [
        {"subject": "Casefile Test Root CA", "sha256": hashlib.sha256(root_der).hexdigest()}
    ]
    [checked] = report["signatures"]
    assert (checked["signer"], checked["trusted"], checked["intact"]) == (
        "Katarina Gröndahl",
        True,
        True,
    )
    assert checked["coverage"] == "ENTIRE_FILE" and checked["timestamp_signer"]
    assert pnr.encode() not in report_bytes and pnr[2:].encode() not in report_bytes
    human_files = show(signed_app, tmp_path, doc.diarienummer, command="file")
    assert "valideringsrapport (underskrift)" in human_files
    # The unsigned report has no validation report.
    control_files = json.loads(
        show(signed_app, tmp_path, control.diarienummer, "--json", command="file")
    )
    assert [f["part"] for f in control_files if f["part"] == "validation_report"] == []
    to_katarina = [m for m in smtp.messages if "katarina@vastera.test" in m.rcpt_tos]
    assert len(to_katarina) == 1  # the kvittens
    kvittens = mail_text(to_katarina[0])
    assert doc.diarienummer in kvittens  # the text was read
    assert pnr not in kvittens and pnr[2:] not in kvittens


def test_a_broken_signature_is_flagged_for_staff_and_never_mailed_about(
    signed_app: App, account: Account, smtp: SmtpServer, signed: dict[str, Path]
) -> None:
    """Given a report changed after it was e-signed, when it runs through intake, then it is
    registered with the finding and a flag for staff, and its sender gets only the kvittens."""
    send(account, "katarina@vastera.test", "slutrapport.pdf", signed["changed.pdf"].read_bytes())
    run_intake(signed_app)
    doc, kinds = registered(signed_app)["katarina@vastera.test"]
    assert kinds == ["kvittens"]
    assert doc.fields["signature_status"] == "e_signature_broken" and not doc.submitter_signed
    assert "e_signature_broken" in {f["code"] for f in doc.findings}
    assert BROKEN_FLAG in (doc.flag or "")
    [mail] = [m for m in smtp.messages if "katarina@vastera.test" in m.rcpt_tos]
    text = mail_text(mail)
    assert doc.diarienummer in text and "underskrift" not in text.lower()


def test_a_correction_keeps_the_e_signature(app: App, signed: dict[str, Path]) -> None:
    """Given an e-signed report registered with section 8 empty, when staff correct a figure,
    then the checks run again without asking for a signature, and it stays signed; a name
    typed in later joins the evidence."""
    import dataclasses

    from casefile.register import NewDocument, correct_field, register_document
    from intake.extract.api import DEFAULT_LIMITS, extract_path
    from intake.extract.signatures import stored

    limits = dataclasses.replace(DEFAULT_LIMITS, trust_roots=(str(signed["roots.pem"]),))
    got = extract_path(signed["person.pdf"], limits)
    new = NewDocument(
        kind=got.document_type,
        received_at=dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC),
        sender="katarina@vastera.test",
        title=str(got.fields["title"]),
        fields={**got.fields, **stored(got)},
        sections=dict(got.sections),
        findings=[f.to_json() for f in got.findings],
        submitter_signed=got.submitter_signed,
    )
    with app.sessions() as s, s.begin():
        number = register_document(s, app.settings, new).diarienummer
    with app.sessions() as s, s.begin():
        doc, _, _ = correct_field(s, app.settings, number, "granted_sek", "1400000", "AKH")
        assert doc.submitter_signed and doc.status == "registered"
        assert not {f["code"] for f in doc.findings} & {"unsigned", "missing_field"}
        doc, _, _ = correct_field(s, app.settings, number, "submitter_name", "K Gröndahl", "AKH")
        assert doc.fields["signature_status"] == "e_signed" and doc.submitter_signed
        assert [e["kind"] for e in doc.fields["signatures"]] == ["digital"]  # no date: no typed
