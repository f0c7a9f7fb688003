"""Sender trust end to end: a real Dovecot in, a real aiosmtpd out (issue 12).

The messages carry the Authentication-Results header our receiving server would add; the
reports are the shipped fixtures reworded the way an attacker would (a phishing title, another
party's organisation, a third party's address in the form).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casefile.app import App
from casefile.cli import cli
from casefile.db.models import Document
from intake.mail.poll import poll_all
from intake.outgoing import flush_outbox, queue_reminders
from tests.intake.conftest import build_app
from tests.outgoing.conftest import smtp
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.rows import outbox
from tests.support.smtp import Received, SmtpServer
from tests.support.toml import write_config

__all__ = ["smtp"]  # the aiosmtpd fixture of the outgoing tests

OURS = "mx.finsam.test"
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
PHISH = "Konto spärras – logga in på https://evil.example/login omedelbart"
SIGNED = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()


def variant(data: bytes, replace: dict[str, str]) -> bytes:
    """The report with some of its text replaced, as a sender could write it (in the XML, so
    text inside content controls changes too)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                xml = content.decode("utf-8")
                for old, new in replace.items():
                    assert old in xml, f"not in the report: {old}"
                    xml = xml.replace(old, escape(new))
                content = xml.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def mail(
    sender: str,
    report: bytes,
    auth: str | None,
    subject: str = "Slutrapport",
) -> bytes:
    headers = {"Authentication-Results": auth} if auth else {}
    msg: EmailMessage = message(
        sender=sender, subject=subject, attachments=[("slutrapport.docx", report)], headers=headers
    )
    return bytes(msg)


@pytest.fixture
def trust_app(db_url: str, tmp_path: Path, account: Account, smtp: SmtpServer) -> Iterator[App]:
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        smtp=smtp.smtp_settings(),
        mail={"trusted_authserv_id": OURS},
    )
    yield app
    app.engine.dispose()


@pytest.fixture
def config_file(trust_app: App, tmp_path: Path) -> str:
    settings = trust_app.settings
    data = {
        "database": {"url": settings.database.url},
        "storage": {"path": settings.storage.path},
    }
    return str(write_config(tmp_path / "casefile.toml", data))


def casefile(config: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr


def run_intake(app: App) -> None:
    """One `intake poll --once`: fetch and register, then send what the outbox holds."""
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]
    flush_outbox(app.sessions, app.settings)


def document(app: App, number: str) -> Document:
    with app.sessions() as s:
        return s.execute(select(Document).where(Document.diarienummer == number)).scalar_one()


def text_of(received: Received) -> str:
    msg = received.message
    parts = [str(msg["Subject"])]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def test_forged_sender_gets_no_mail_and_is_in_the_inbox(
    trust_app: App, account: Account, smtp: SmtpServer, config_file: str
) -> None:
    """Given a report with a forged From that our server marked dmarc=fail, when polled and the
    outbox flushed, then nothing is sent, and staff see the document with the verdict."""
    report = variant(SIGNED, {"Kärnhuset 2.0": PHISH})
    auth = f"{OURS}; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=bollnas.test"
    account.append(mail("Anna Berg <anna.berg@bollnas.test>", report, auth), WHEN)
    run_intake(trust_app)
    assert smtp.messages == []
    doc = document(trust_app, "SFG 26-01.01")
    assert doc.sender_verdict == "failed" and doc.flag == "avsändaren kunde inte verifieras"
    rows = outbox(trust_app)
    assert rows and all(r.state == "suppressed" for r in rows)
    assert all("kunde inte verifieras" in (r.last_error or "") for r in rows)
    code, out, _ = casefile(config_file, "inbox", "--json")
    [item] = json.loads(out)
    assert (item["auth_verdict"], item["state"]) == ("failed", "registered")
    assert "dmarc=fail" in item["auth_detail"]
    code, out, _ = casefile(config_file, "inbox")
    assert code == 0 and "kunde inte verifieras" in out
    code, out, _ = casefile(config_file, "show", "SFG 26-01")
    assert "SFG 26-01.01: avsändaren kunde inte verifieras" in out


def test_the_same_headers_from_another_server_are_ignored(
    trust_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given dmarc=fail written by some other authserv-id, the verdict is unknown, and under the
    default policy (unless_failed) the sender gets the kvittens."""
    auth = "mx.evil.example; dmarc=fail header.from=bollnas.test"
    account.append(mail("anna.berg@bollnas.test", SIGNED, auth), WHEN)
    run_intake(trust_app)
    assert document(trust_app, "SFG 26-01.01").sender_verdict == "unknown"
    [got] = smtp.messages
    assert got.rcpt_tos == ["anna.berg@bollnas.test"]
    # An unknown sender's words are not quoted at all.
    assert "Kärnhuset" not in text_of(got)


def test_verified_sender_gets_a_kvittens_with_no_url_and_a_null_envelope(
    trust_app: App, account: Account, smtp: SmtpServer
) -> None:
    """Given a verified sender whose report title holds a link, when the kvittens goes out,
    then it carries MAIL FROM:<>, its subject no sender text, and the link only defanged."""
    report = variant(SIGNED, {"Kärnhuset 2.0": PHISH})
    auth = f"{OURS}; dkim=pass header.d=bollnas.test; dmarc=pass header.from=bollnas.test"
    account.append(mail("anna.berg@bollnas.test", report, auth), WHEN)
    run_intake(trust_app)
    assert document(trust_app, "SFG 26-01.01").sender_verdict == "verified"
    [got] = smtp.messages
    assert got.mail_from == "<>"
    assert got.rcpt_tos == ["anna.berg@bollnas.test"]
    subject = str(got.message["Subject"])
    assert subject == "[SFG 26-01.01] Kvittens: slutrapport har registrerats"
    body = text_of(got)
    assert "SFG 26-01.01" in body and "2026-02-03" in body
    assert "https://" not in body and "evil.example" not in body
    assert "hxxps://evil[.]example" in body
    assert "Konto spärras" in body  # verified: the (shortened) title is quoted


def test_form_contact_gets_nothing_until_staff_confirm_it(
    trust_app: App,
    account: Account,
    smtp: SmtpServer,
    config_file: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a report from anna@ whose form names third.party@victim.test, the kvittens and
    completion requests go to anna@ only; after `casefile contact`, the repeated request goes
    to the confirmed address."""
    report = variant(UNSIGNED, {"Bjorn.Ohrstrom@Vastera.se": "third.party@victim.test"})
    auth = f"{OURS}; dmarc=pass header.from=vastera.test"
    account.append(mail("anna@vastera.test", report, auth), WHEN)
    run_intake(trust_app)
    assert {r for m in smtp.messages for r in m.rcpt_tos} == {"anna@vastera.test"}
    assert len(smtp.messages) == 2  # kvittens and komplettering
    # Two weeks on, the report is still incomplete: the request is repeated, to anna@ only.
    due = dt.datetime.now(trust_app.settings.registry.zone).date() + dt.timedelta(days=14)
    code, out, _ = casefile(config_file, "remind", "--dry-run", "--json", "--date", str(due))
    assert code == 0
    planned = json.loads(out)["mails"]
    assert [(p["kind"], p["recipient"]) for p in planned] == [
        ("komplettering", "anna@vastera.test")
    ]
    monkeypatch.delenv("CASEFILE_USER", raising=False)
    code, _, err = casefile(config_file, "contact", "SFG 26-01", "third.party@victim.test")
    assert code == 2 and "--by" in err  # who confirmed it is not optional
    code, out, err = casefile(
        config_file, "contact", "SFG 26-01", "third.party@victim.test", "--by", "AKH"
    )
    assert code == 0, err
    with trust_app.sessions() as s, s.begin():
        rows = queue_reminders(s, trust_app.settings, due)
        assert rows and {r.recipient for r in rows} == {"third.party@victim.test"}
    # The run was stamped with that later date; send as of then.
    flush_outbox(trust_app.sessions, trust_app.settings, dt.datetime.now(dt.UTC) + dt.timedelta(15))
    later = smtp.messages[2:]
    assert later and {r for m in later for r in m.rcpt_tos} == {"third.party@victim.test"}


def test_subject_hijack_files_in_a_new_flagged_case_and_move_puts_it_right(
    trust_app: App, account: Account, smtp: SmtpServer, config_file: str
) -> None:
    """Given Kommun A's unsigned report (SFG 26-01), when mallory@evil.example sends a signed
    report for "Evil AB" with the subject "Re: SFG 26-01", then Kommun A's report stays
    incomplete, Mallory's opens a new flagged case, and `casefile move` works with history."""
    kommun_a = f"{OURS}; dmarc=pass header.from=kommun-a.test"
    account.append(mail("anna@kommun-a.test", UNSIGNED, kommun_a), WHEN)
    run_intake(trust_app)
    assert document(trust_app, "SFG 26-01.01").status == "incomplete"
    evil = variant(
        SIGNED, {"Exempelby kommun, sektor Välfärd och sektor Samhällsservice": "Evil AB"}
    )
    evil_auth = f"{OURS}; dmarc=pass header.from=evil.example"
    account.append(
        mail("mallory@evil.example", evil, evil_auth, subject="Re: SFG 26-01"),
        WHEN + dt.timedelta(hours=1),
    )
    run_intake(trust_app)
    assert document(trust_app, "SFG 26-01.01").status == "incomplete"
    flag = "hänvisar till SFG 26-01 men kommer från en annan avsändare"
    assert document(trust_app, "SFG 26-02.01").flag == flag
    code, out, _ = casefile(config_file, "show", "SFG 26-02", "--json")
    assert json.loads(out)["flag"] == flag
    code, out, _ = casefile(config_file, "inbox", "--json")
    assert [i["flags"] for i in json.loads(out)] == [[flag]]
    # Staff decide: it does belong to SFG 26-01 (say Evil AB is Kommun A's partner).
    code, out, err = casefile(
        config_file, "move", "SFG 26-02.01", "--to", "SFG 26-01", "--by", "AKH"
    )
    assert code == 0, err
    code, out, _ = casefile(config_file, "show", "SFG 26-01")
    assert "SFG 26-02.01" in out and "handling flyttad" in out
    assert "SFG 26-02.01: från SFG 26-02 till SFG 26-01" in out
    code, out, _ = casefile(config_file, "inbox", "--json")
    assert json.loads(out) == []  # the flag is resolved by the move


def test_an_osc_escape_in_a_subject_prints_harmlessly_in_the_inbox(
    trust_app: App, account: Account, config_file: str
) -> None:
    raw = bytes(message(subject="Hej \x1b]0;pwned\x07 igen", body="Ingen bilaga."))
    account.append(raw, WHEN)
    run_intake(trust_app)
    code, out, _ = casefile(config_file, "inbox")
    assert code == 0 and "Hej" in out
    assert "\x1b" not in out and "\x07" not in out
